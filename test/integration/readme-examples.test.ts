import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember } from '../support/member.ts';
import { codeBoughtByPhone, createMerchant, merchantAuth } from '../support/payments.ts';
import { register } from '../support/harness.ts';
import { TestCall } from '../support/call.ts';
import { spokenNumbers } from '../support/twiml.ts';

const README = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');

describe("the README's examples do what they say", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ CODE_DENOMINATIONS: '500,1000' });
  });
  after(() => app.close());

  it('a first-time caller who keys at the greeting what the intro\'s step 2 says hears the formal ID at once', async () => {
    // Step 2 of the intro, up to any aside in brackets: the keys a first-time caller is told to press.
    const step = /^2\. They call that number([^]*?)\n3\. /m.exec(README)?.[1];
    expect(step, 'step 2 of the intro').to.be.a('string');
    const told = step!.split('(')[0]!;
    const presses = [...told.matchAll(/press `(\d)`|key the provisional ID and `#`/g)].map((m) => m[1] ?? 'ID#');
    expect(presses, told).to.include('ID#');
    const { provisionalId } = await register(app);
    const call = new TestCall(app);
    await call.dial();
    const first = await call.press(presses[0]!.replace('ID', provisionalId));
    expect(spokenNumbers(first.verbs), `the greeting's answer to "${presses[0]}", the first key step 2 names`).to.have.length(2);
  });

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
