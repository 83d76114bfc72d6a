import { expect } from 'chai';
import { startTestApp, register, jsonRequest, type TestApp } from '../support/harness.ts';
import { TestCall } from '../support/call.ts';
import { spokenNumbers, spokenText } from '../support/twiml.ts';

describe('the whole core story', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('a person registers, calls, keys the provisional ID, hears the formal ID, logs in and sees the member page', async () => {
    const registration = await register(app);
    expect(registration.provisionalId).to.match(/^\d{11}$/);
    expect(registration.password).to.have.length.of.at.least(12);
    expect(registration.phoneNumber).to.equal('+815000001234');

    const call = new TestCall(app);
    const pickUp = await call.dial();
    expect(pickUp.status).to.equal(200);
    await call.press('1');
    const activated = await call.press(`${registration.provisionalId}#`);
    const numbers = spokenNumbers(activated.verbs);
    expect(numbers).to.have.length(2);
    expect(numbers[0]).to.equal(numbers[1]);
    const formalId = numbers[0]!;
    expect(formalId).to.match(/^\d{9}$/);
    expect(spokenText(activated.verbs)).to.not.include(registration.password);

    const login = await fetch(`${app.url}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ formalId, password: registration.password }),
    });
    expect(login.status).to.equal(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const me = await jsonRequest(app, 'GET', '/api/me', undefined, { Cookie: cookie });
    expect(me.status).to.equal(200);
    expect(me.body).to.include({ formalId, active: true });

    const page = await fetch(`${app.url}/service`, { headers: { Cookie: cookie }, redirect: 'manual' });
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.include('data-testid="access"');
    expect(html).to.not.include(formalId);
  });
});
