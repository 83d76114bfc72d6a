import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { codeBoughtByPhone, createMerchant, merchantAuth } from '../support/payments.ts';

const README = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');

describe("the README's examples do what they say", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ CODE_DENOMINATIONS: '500,1000' });
  });
  after(() => app.close());

  it('the idempotent redemption, sent twice as written, redeems once and answers the same both times', async () => {
    const example = /-H 'Idempotency-Key: ([^']+)' -d '(\{"code"[^']+\})'/.exec(README);
    expect(example, 'the redemption example in README').to.not.equal(null);
    const [, idempotencyKey, body] = example!;
    const member = await activeMember(app, { pin: '1357' });
    const shop = await createMerchant(app);
    const code = await codeBoughtByPhone(app, member, '1357', '2'); // 1,000
    const sent = { ...JSON.parse(body!), code };
    const first = await jsonRequest(app, 'POST', '/api/merchant/redemptions', sent, merchantAuth(shop, { 'Idempotency-Key': idempotencyKey! }));
    const again = await jsonRequest(app, 'POST', '/api/merchant/redemptions', sent, merchantAuth(shop, { 'Idempotency-Key': idempotencyKey! }));
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(again.status).to.equal(first.status);
    expect(again.body).to.deep.equal(first.body);
    const balance = await jsonRequest(app, 'GET', `/api/merchant/codes/${code}`, undefined, merchantAuth(shop));
    expect(balance.body.remaining).to.equal(1000 - sent.amount);
  });
});
