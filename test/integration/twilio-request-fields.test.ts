import { expect } from 'chai';
import twilio from 'twilio';
import { readLedger } from '../../src/accounts/ledger.ts';
import { keys } from '../../src/store/keys.ts';
import { register, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall, uniqueCallerNumber } from '../support/call.ts';
import { spokenNumbers, spokenText } from '../support/twiml.ts';

/** A premium-rate number of the carrier's that forwards to the Twilio number, keeping the caller's number (docs/CHARGING.md). */
const FORWARDING_NUMBER = '+81990500300';

/**
 * Every field Twilio sends with a voice webhook reaches the app through the simulator, signed:
 * who the caller is comes from From (also on a forwarded call), StirVerstat decides whether the
 * line is trusted for what the line alone unlocks, and everything else is ignored.
 */
describe('who is calling, by every field Twilio sends', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  /** Activates from `line`, hangs up, and returns the provisional ID and the formal ID heard. */
  async function activatedFrom(line: string, twilio: ConstructorParameters<typeof TestCall>[3] = {}) {
    const { provisionalId } = await register(app);
    const call = new TestCall(app, line, undefined, twilio);
    await call.dial();
    await call.press('1');
    const formalId = spokenNumbers((await call.press(`${provisionalId}#`)).verbs)[0]!;
    await call.hangUp();
    return { provisionalId, formalId };
  }

  async function keyAgain(line: string, provisionalId: string, twilio: ConstructorParameters<typeof TestCall>[3] = {}) {
    const call = new TestCall(app, line, undefined, twilio);
    await call.dial();
    await call.press('1');
    return call.press(`${provisionalId}#`);
  }

  it('a call a premium-rate number forwarded is the caller\'s (From), not the forwarding number\'s: the line that paid hears its formal ID again on a direct call too', async () => {
    const line = uniqueCallerNumber();
    const { provisionalId, formalId } = await activatedFrom(line, { forwardedFrom: FORWARDING_NUMBER });
    const [entry] = await readLedger(app.redis, provisionalId);
    expect(entry!.from).to.equal(line);
    expect(await app.redis.exists(keys.lineWrongEntries(FORWARDING_NUMBER))).to.equal(0);
    const { verbs } = await keyAgain(line, provisionalId);
    expect(spokenNumbers(verbs)).to.deep.equal([formalId, formalId]);
  });

  it('a forwarding that lost the caller\'s number (From is the forwarding number) is treated as a withheld number: no line, nothing shared between callers', async () => {
    const call = new TestCall(app, FORWARDING_NUMBER, undefined, { forwardedFrom: FORWARDING_NUMBER });
    await call.dial();
    expect(call.hungUp()).to.equal(true);
    expect(call.heardText()).to.include('1 8 6');
    // One of dialpass's own numbers as From is the same loss.
    const own = new TestCall(app, app.config.servicePhoneNumber);
    await own.dial();
    expect(own.hungUp()).to.equal(true);
    expect(await app.redis.exists(keys.lineWrongEntries(FORWARDING_NUMBER))).to.equal(0);
  });

  it('a caller ID that failed SHAKEN/STIR verification gets no free re-read of a formal ID, even from the line that paid', async () => {
    const line = '+14155550142';
    const { provisionalId, formalId } = await activatedFrom(line, { stirVerstat: 'TN-Validation-Passed-A' });
    const { verbs } = await keyAgain(line, provisionalId, { stirVerstat: 'TN-Validation-Failed-A' });
    expect(spokenNumbers(verbs)).to.be.empty;
    expect(spokenText(verbs)).to.include('すでに本登録が完了しています').and.to.not.include(formalId);
    // Passed, or no SHAKEN/STIR at all (every call from outside the US): the line is trusted as before.
    for (const stirVerstat of ['TN-Validation-Passed-B', 'No-TN-Validation', undefined]) {
      const again = await keyAgain(line, provisionalId, stirVerstat ? { stirVerstat } : {});
      expect(spokenNumbers(again.verbs), String(stirVerstat)).to.deep.equal([formalId, formalId]);
    }
  });

  it('a caller ID that failed verification is not greeted in the language its line remembers', async () => {
    const line = '+14155550143';
    const { provisionalId } = await register(app, 'Jo', 'jo@example.com', 'en-US');
    const first = new TestCall(app, line);
    await first.dial();
    await first.press('1');
    await first.press(`${provisionalId}#`);
    await first.hangUp();
    const trusted = new TestCall(app, line);
    await trusted.dial();
    expect(trusted.events.find((e) => e.type === 'say')).to.include({ language: 'en-US' });
    const failed = new TestCall(app, line, undefined, { stirVerstat: 'TN-Validation-Failed' });
    await failed.dial();
    expect(failed.events.find((e) => e.type === 'say')).to.include({ language: 'ja-JP' });
  });

  it('CallerName, the numbers\' country, state, city and ZIP, CallToken and a field Twilio adds one day are signed with the rest and change nothing', async () => {
    const line = '+12125550177';
    const { provisionalId } = await register(app);
    const call = new TestCall(app, line, undefined, { callerName: 'DOE JANE', extraParams: { AddedByTwilioOneDay: 'x'.repeat(300) } });
    await call.dial();
    await call.press('1');
    const { verbs, status } = await call.press(`${provisionalId}#`);
    expect(status).to.equal(200);
    expect(spokenNumbers(verbs)).to.have.length(2);
    const request = call.events.find((e) => e.type === 'request')!;
    expect(request).to.have.nested.property('params.AddedByTwilioOneDay');
    expect(request).to.have.nested.property('params.FromState', 'NY');
  });

  it('a number set to GET (voice URL and status callback) is served exactly as with POST: fields in the query, signed over the whole URL', async () => {
    const line = uniqueCallerNumber();
    const { provisionalId } = await register(app);
    const call = new TestCall(app, line, undefined, { voiceMethod: 'GET', statusCallbackMethod: 'GET' });
    await call.dial();
    const first = call.events.find((e) => e.type === 'request')!;
    expect(first).to.include({ method: 'GET' });
    expect(new URL((first as { url: string }).url).searchParams.get('CallSid')).to.equal(call.callSid);
    expect(call.last.status).to.equal(200);
    expect(spokenText(call.last.verbs)).to.include('ダイヤルパス');
    await call.press('1');
    const { verbs } = await call.press(`${provisionalId}#`);
    expect(spokenNumbers(verbs)).to.have.length(2);
    expect((await readLedger(app.redis, provisionalId))[0]!.from).to.equal(line);
    await call.hangUp();
    const status = call.events.filter((e) => e.type === 'response').at(-1)!;
    expect(status).to.include({ status: 204 });
    expect(await app.redis.hget(keys.call(call.callSid), 'CallStatus')).to.equal('completed');
  });

  it('a GET whose signature does not cover its query is refused (403), as a POST would be', async () => {
    const call = new TestCall(app, uniqueCallerNumber(), undefined, { voiceMethod: 'GET' });
    await call.dial();
    const request = call.events.find((e) => e.type === 'request') as { url: string };
    const signature = twilio.getExpectedTwilioSignature(app.config.twilio.authToken, request.url, {});
    const send = (url: string) => fetch(app.url + new URL(url).pathname + new URL(url).search, { headers: { 'X-Twilio-Signature': signature } });
    expect((await send(request.url)).status).to.equal(200);
    expect((await send(request.url.replace(/From=[^&]+/, 'From=%2B819000000000'))).status).to.equal(403);
  });
});
