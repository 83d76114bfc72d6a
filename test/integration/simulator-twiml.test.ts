import { expect } from 'chai';
import { CallFailure } from '../../simulator/call-failure.ts';
import { placeCall, type CallEvent, type CallRecord } from '../../simulator/call.ts';
import { TEST_CARD_APPROVED, TEST_CARD_DECLINED } from '../../simulator/test-cards.ts';
import { callTimeline } from '../../simulator/timing.ts';
import { scriptedCaller, startTwimlApp, twiml, TWIML_APP_TOKEN, type CannedAnswer, type TwimlApp } from '../support/twiml-app.ts';

const FROM = '+819011112222';
const TO = '+815000001234';

describe('the call simulator plays TwiML the way Twilio does', () => {
  let app: TwimlApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function call(routes: Record<string, CannedAnswer>, keys: (string | null)[] = [], extra: { maxRequests?: number; fallbackUrl?: string; requestTimeoutMs?: number } = {}) {
    app = await startTwimlApp(routes);
    const caller = scriptedCaller(keys);
    const record = await placeCall({ baseUrl: app.url, authToken: TWIML_APP_TOKEN, from: FROM, to: TO, ...extra }, caller);
    return { record, caller, app };
  }

  async function failingCall(routes: Record<string, CannedAnswer>, extra: { maxRequests?: number } = {}): Promise<CallFailure> {
    try {
      await call(routes, [], extra);
    } catch (error) {
      expect(error).to.be.instanceOf(CallFailure);
      return error as CallFailure;
    }
    throw new Error('the call was expected to fail');
  }

  const heard = (record: CallRecord) => record.events.filter((e): e is Extract<CallEvent, { type: 'say' }> => e.type === 'say');
  const ended = (record: CallRecord) => record.events.find((e): e is Extract<CallEvent, { type: 'ended' }> => e.type === 'ended')!;

  it('the first webhook carries every field Twilio sends, signed, with the call ringing', async () => {
    const { app } = await call({ '/twilio/voice': twiml('<Hangup/>') });
    const [first] = app.to('/twilio/voice');
    expect(first!.method).to.equal('POST');
    expect(first!.signatureValid).to.equal(true);
    expect(first!.body).to.include({ From: FROM, To: TO, Caller: FROM, Called: TO, CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' });
    expect(first!.body.CallSid).to.match(/^CA[0-9a-f]{32}$/);
    expect(first!.body.AccountSid).to.match(/^AC[0-9a-f]{32}$/);
    // Where each number is ([Voice webhooks]): a Japanese mobile and a Japanese number, country only.
    expect(first!.body).to.include({ FromCountry: 'JP', FromState: '', FromCity: '', FromZip: '', ToCountry: 'JP', ToCity: '', CallerCountry: 'JP', CalledCountry: 'JP' });
    // CallToken: a JSON token, the same on every request of the call; nothing that does not apply.
    const token = JSON.parse(first!.body.CallToken!);
    expect(token.parentCallInfoToken).to.be.a('string').with.length.above(100);
    expect(app.requests.map((r) => r.body.CallToken).filter(Boolean)).to.satisfy((all: string[]) => all.every((t) => t === first!.body.CallToken));
    expect(first!.body).to.not.have.any.keys('ForwardedFrom', 'CallerName', 'StirVerstat');
    expect(app.requests.every((r) => r.signatureValid)).to.equal(true);
  });

  it('a forwarded US call carries ForwardedFrom, CallerName, StirVerstat and its numbers\' state, city and ZIP, all signed', async () => {
    app = await startTwimlApp({ '/twilio/voice': twiml('<Gather action="/m" numDigits="1"/>'), '/m': twiml('<Hangup/>') });
    await placeCall(
      { baseUrl: app.url, authToken: TWIML_APP_TOKEN, from: '+14155550123', to: '+12125550199', forwardedFrom: '+13125550100', callerName: 'DOE JANE', stirVerstat: 'TN-Validation-Passed-A' },
      scriptedCaller(['3']),
    );
    for (const request of [app.to('/twilio/voice')[0]!, app.to('/m')[0]!]) {
      expect(request.signatureValid).to.equal(true);
      expect(request.body).to.include({
        From: '+14155550123', FromCountry: 'US', FromState: 'CA', FromCity: 'SAN FRANCISCO', FromZip: '94103',
        To: '+12125550199', ToCountry: 'US', ToState: 'NY', ToCity: 'NEW YORK', ToZip: '10001',
        ForwardedFrom: '+13125550100', CallerName: 'DOE JANE', StirVerstat: 'TN-Validation-Passed-A',
      });
    }
  });

  it('a request signed with another token is refused by the app, and the simulator stops with an HTTP error', async () => {
    app = await startTwimlApp({ '/twilio/voice': twiml('<Hangup/>') });
    const failure = await placeCall({ baseUrl: app.url, authToken: 'some-other-token-0123456789', from: FROM, to: TO }, scriptedCaller([])).catch((e) => e);
    expect(failure).to.be.instanceOf(CallFailure);
    expect(failure.kind).to.equal('http');
    expect(failure.message).to.include('403');
  });

  it('<Say> is heard with its voice and language, SSML children read as text and digit groups kept as numbers', async () => {
    const { record } = await call({
      '/twilio/voice': twiml(
        '<Say voice="Polly.Joanna" language="en-US" loop="2">Your ID is: <prosody rate="slow"><say-as interpret-as="digits">123</say-as><break time="700ms"/><say-as interpret-as="digits">456</say-as></prosody>. <sub alias="dialpass">DP</sub> &amp; more.</Say><Say>plain</Say>',
      ),
    });
    const [first, second] = heard(record);
    expect(first).to.include({ text: 'Your ID is: 1 2 3, 4 5 6. dialpass & more.', voice: 'Polly.Joanna', language: 'en-US', loop: 2 });
    expect(first!.numbers).to.deep.equal(['123456']);
    expect(second).to.include({ text: 'plain', voice: undefined, language: undefined, loop: 1 });
  });

  it('a price written with a thousands separator is heard as written ("1,000 yen"), while a comma against the next word gets its space', async () => {
    const { record } = await call({
      '/twilio/voice': twiml('<Say language="en-US">It costs 1,000 yen, or 12,345,678 yen,<emphasis>thanks</emphasis>.</Say><Say language="ja-JP">料金は1,000円です。</Say>'),
    });
    expect(heard(record).map((s) => s.text)).to.deep.equal(['It costs 1,000 yen, or 12,345,678 yen, thanks.', '料金は1,000円です。']);
  });

  it('<Play> and <Pause> are heard in order, with file, tones and loop', async () => {
    const { record } = await call({ '/twilio/voice': twiml('<Play loop="3">https://example.test/hello.mp3</Play><Pause length="2"/><Play digits="12w3"/><Pause/>') });
    const heardEvents = record.events.filter((e) => e.type === 'play' || e.type === 'pause');
    expect(heardEvents).to.deep.equal([
      { type: 'play', url: 'https://example.test/hello.mp3', digits: undefined, loop: 3 },
      { type: 'pause', seconds: 2 },
      { type: 'play', url: undefined, digits: '12w3', loop: 1 },
      { type: 'pause', seconds: 1 },
    ]);
  });

  it('an audio file answered instead of TwiML is played, then the call ends', async () => {
    const { record } = await call({ '/twilio/voice': { type: 'audio/mpeg', body: 'ID3' } });
    expect(record.events.find((e) => e.type === 'play')).to.include({ url: `${app!.url}/twilio/voice` });
    expect(ended(record)).to.include({ by: 'end-of-document', callStatus: 'completed' });
  });

  it('<Gather numDigits> posts Digits as soon as enough keys are pressed and drops the rest', async () => {
    const { app, caller } = await call(
      {
        '/twilio/voice': twiml('<Gather input="dtmf" numDigits="2" timeout="7" action="/menu"><Say>Two keys.</Say></Gather>'),
        '/menu': twiml('<Hangup/>'),
      },
      ['1234'],
    );
    expect(caller.asked[0]).to.deep.equal({ purpose: 'gather', numDigits: 2, finishOnKey: '#', timeout: 7 });
    const [menu] = app.to('/menu');
    expect(menu!.body).to.include({ Digits: '12', FinishedOnKey: '', CallStatus: 'in-progress' });
    expect(menu!.signatureValid).to.equal(true);
  });

  it('<Gather finishOnKey> posts the keys before the finish key, and FinishedOnKey', async () => {
    const { app } = await call(
      {
        '/twilio/voice': twiml('<Gather finishOnKey="*" action="/id"><Say>Key your ID then star.</Say></Gather>'),
        '/id': twiml('<Hangup/>'),
      },
      ['4567*89'],
    );
    expect(app.to('/id')[0]!.body).to.include({ Digits: '4567', FinishedOnKey: '*' });
  });

  it('keys without the finish key are posted when the timeout passes', async () => {
    const { app } = await call({ '/twilio/voice': twiml('<Gather action="/id"/>'), '/id': twiml('<Hangup/>') }, ['987']);
    expect(app.to('/id')[0]!.body).to.include({ Digits: '987', FinishedOnKey: '' });
  });

  it('silence falls through to the next verb, without calling the action', async () => {
    const { app, record } = await call(
      {
        '/twilio/voice': twiml('<Gather action="/menu" numDigits="1"><Say>Press a key.</Say></Gather><Say>We did not hear you.</Say><Redirect method="POST">/again</Redirect>'),
        '/menu': twiml('<Hangup/>'),
        '/again': twiml('<Hangup/>'),
      },
      [''],
    );
    expect(app.to('/menu')).to.have.length(0);
    expect(heard(record).map((s) => s.text)).to.deep.equal(['Press a key.', 'We did not hear you.']);
    expect(app.to('/again')[0]!.body).to.not.have.property('Digits');
  });

  it('the finish key pressed before any digit ends nothing: the caller waits out the timeout, then the call falls through as on silence', async () => {
    const plain = await call(
      { '/twilio/voice': twiml('<Gather action="/m" timeout="7"><Say>Key a number.</Say></Gather><Redirect method="POST">/again</Redirect>'), '/m': twiml('<Hangup/>'), '/again': twiml('<Hangup/>') },
      ['#'],
    );
    expect(plain.app.to('/m')).to.have.length(0);
    expect(plain.app.to('/again')).to.have.length(1);
    // The time estimate counts the key and the whole timeout after it.
    const wait = callTimeline(plain.record.events).find((e) => e.kind === 'keys')!;
    expect(wait.seconds).to.equal(0.5 + 7);
    const withEmpty = await call({ '/twilio/voice': twiml('<Gather action="/m" actionOnEmptyResult="true"/>'), '/m': twiml('<Hangup/>') }, ['#']);
    expect(withEmpty.app.to('/m')[0]!.body).to.include({ Digits: '', FinishedOnKey: '' });
  });

  it('digits keyed after a finish key that ended nothing are posted when the finish key follows them', async () => {
    const { app } = await call({ '/twilio/voice': twiml('<Gather action="/m"/>'), '/m': twiml('<Hangup/>') }, ['#42#']);
    expect(app.to('/m')[0]!.body).to.include({ Digits: '42', FinishedOnKey: '#' });
  });

  it('actionOnEmptyResult posts an empty Digits on silence', async () => {
    const { app } = await call({ '/twilio/voice': twiml('<Gather action="/menu" actionOnEmptyResult="true"/>'), '/menu': twiml('<Hangup/>') }, ['']);
    expect(app.to('/menu')[0]!.body).to.include({ Digits: '', FinishedOnKey: '' });
  });

  it('a relative action with method GET gets the fields in its query, signed over the full URL', async () => {
    const { app } = await call({ '/twilio/voice': twiml('<Gather action="next?step=2" method="GET" numDigits="1"/>'), '/twilio/next': twiml('<Hangup/>') }, ['5']);
    const [next] = app.to('/twilio/next');
    expect(next!.method).to.equal('GET');
    expect(next!.signatureValid).to.equal(true);
    expect(next!.query).to.include({ step: '2', Digits: '5', CallStatus: 'in-progress' });
  });

  it('a <Gather> without action posts back to the document it came from', async () => {
    const { app } = await call({ '/twilio/voice': twiml('<Gather numDigits="1"/>') }, ['1', null]);
    const voice = app.to('/twilio/voice');
    expect(voice).to.have.length(2);
    expect(voice[1]!.body).to.include({ Digits: '1' });
  });

  it('<Redirect> is followed, <Hangup> ends the call, and the status callback reports completed with CallDuration', async () => {
    let clock = 1_000_000;
    app = await startTwimlApp({ '/twilio/voice': twiml('<Say>Hi</Say><Redirect method="GET">/there</Redirect>'), '/there': twiml('<Say>Bye</Say><Hangup/><Say>never heard</Say>') });
    const record = await placeCall({ baseUrl: app.url, authToken: TWIML_APP_TOKEN, from: FROM, to: TO, now: () => (clock += 2500) }, scriptedCaller([]));
    expect(app.to('/there')[0]!.method).to.equal('GET');
    expect(heard(record).map((s) => s.text)).to.deep.equal(['Hi', 'Bye']);
    expect(ended(record)).to.include({ by: 'app', callStatus: 'completed' });
    const [status] = app.to('/twilio/voice/status');
    expect(status!.signatureValid).to.equal(true);
    expect(status!.body).to.include({ CallStatus: 'completed', CallSid: record.callSid, From: FROM, To: TO });
    expect(Number(status!.body.CallDuration)).to.equal(record.duration).and.to.be.greaterThan(0);
  });

  it('CallDuration is what the caller lived through by the spoken-time estimate, not how fast the simulator ran', async () => {
    // 10 words at 2.5 a second (4 s), a 3 s pause, one key (0.5 s), then 4 words (1.6 s): 9.1 s, rounded up.
    const { record, app } = await call(
      {
        '/twilio/voice': twiml('<Say>One two three four five six seven eight nine ten.</Say><Pause length="3"/><Gather action="/m" numDigits="1"/>'),
        '/m': twiml('<Say>Thank you, goodbye now.</Say><Hangup/>'),
      },
      ['5'],
    );
    const total = callTimeline(record.events).reduce((sum, e) => sum + e.seconds, 0);
    expect(total).to.be.closeTo(9.1, 0.001);
    expect(record.duration).to.equal(10);
    expect(app.to('/twilio/voice/status')[0]!.body).to.include({ CallDuration: '10' });
  });

  it('<Reject> before the call is answered ends it busy or unanswered, never billed', async () => {
    const busy = await call({ '/twilio/voice': twiml('<Reject reason="busy"/>') });
    expect(busy.app.to('/twilio/voice/status')[0]!.body).to.include({ CallStatus: 'busy', CallDuration: '0' });
    await app!.close();
    const rejected = await call({ '/twilio/voice': twiml('<Reject/>') });
    expect(rejected.app.to('/twilio/voice/status')[0]!.body).to.include({ CallStatus: 'no-answer', CallDuration: '0' });
  });

  it('the call ends when the document runs out of verbs', async () => {
    const { record, app } = await call({ '/twilio/voice': twiml('<Say>Only this.</Say>') });
    expect(ended(record)).to.include({ by: 'end-of-document', callStatus: 'completed' });
    expect(app.to('/twilio/voice/status')).to.have.length(1);
  });

  it('when the caller hangs up during a <Gather>, nothing more is requested but the status callback', async () => {
    const { record, app } = await call({ '/twilio/voice': twiml('<Gather action="/menu"/>'), '/menu': twiml('<Hangup/>') }, [null]);
    expect(ended(record)).to.include({ by: 'caller', callStatus: 'completed' });
    expect(app.requests.map((r) => r.path)).to.deep.equal(['/twilio/voice', '/twilio/voice/status']);
  });

  describe('<Pay>', () => {
    const payDoc = (attributes = '') =>
      twiml(`<Pay action="/paid" chargeAmount="10.00" ${attributes}><Prompt for="payment-card-number"><Say>Card number, then hash.</Say></Prompt></Pay>`);

    it('asks for a test card, expiry, security code and postal code, and posts the result as Twilio does', async () => {
      const { app, record, caller } = await call({ '/twilio/voice': payDoc(), '/paid': twiml('<Hangup/>') }, [`${TEST_CARD_APPROVED}#`, '1239#', '123#', '94105#']);
      expect(caller.asked.map((a) => a.purpose)).to.deep.equal(['payment-card-number', 'expiration-date', 'security-code', 'postal-code']);
      expect(heard(record)[0]!.text).to.equal('Card number, then hash.');
      expect(heard(record)[1]!.text).to.match(/expiration date/);
      const [paid] = app.to('/paid');
      expect(paid!.body).to.include({ Result: 'success', PaymentCardNumber: 'xxxxxxxxxxxx4242', PaymentCardType: 'visa', ExpirationDate: '1239', PaymentCardPostalCode: '94105', SecurityCode: 'xxx', PaymentMethod: 'credit-card' });
      expect(paid!.body.PaymentConfirmationCode).to.be.a('string').and.not.empty;
      expect(paid!.body, 'a charge is not tokenized').to.not.have.any.keys('PaymentToken', 'ProfileId');
      expect(JSON.stringify(record.events)).to.not.include(TEST_CARD_APPROVED);
    });

    it('without chargeAmount, <Pay> tokenizes: PaymentToken and ProfileId, no confirmation code', async () => {
      const doc = twiml('<Pay action="/paid" tokenType="reusable" securityCode="false" postalCode="false"/>');
      const { app } = await call({ '/twilio/voice': doc, '/paid': twiml('<Hangup/>') }, [`${TEST_CARD_APPROVED}#`, '1239#']);
      const [paid] = app.to('/paid');
      expect(paid!.body.PaymentToken).to.be.a('string').and.not.empty;
      expect(paid!.body.ProfileId).to.be.a('string').and.not.empty;
      expect(paid!.body).to.not.have.property('PaymentConfirmationCode');
    });

    it('a field asked again says the <Prompt> whose errorType names the error', async () => {
      const doc = twiml(
        '<Pay action="/paid" chargeAmount="10" maxAttempts="2" securityCode="false" postalCode="false"><Prompt for="payment-card-number"><Say>Card?</Say></Prompt>' +
          '<Prompt for="payment-card-number" errorType="timeout invalid-card-number"><Say>Card again?</Say></Prompt></Pay>',
      );
      const { record } = await call({ '/twilio/voice': doc, '/paid': twiml('<Hangup/>') }, ['', `${TEST_CARD_APPROVED}#`, '1239#']);
      expect(heard(record).map((s) => s.text).slice(0, 2)).to.deep.equal(['Card?', 'Card again?']);
    });

    it('the statusCallback hears each field asked, the attempt and why it was asked again, then the processing', async () => {
      const doc = twiml('<Pay action="/paid" statusCallback="/pay-status" chargeAmount="10" maxAttempts="2" securityCode="false" postalCode="false"/>');
      const { app } = await call({ '/twilio/voice': doc, '/paid': twiml('<Hangup/>'), '/pay-status': { status: 204, type: 'text/plain', body: '' } }, ['', `${TEST_CARD_APPROVED}#`, '1239#']);
      const posts = app.to('/pay-status').map((r) => [r.body.For, r.body.Attempt, r.body.ErrorType ?? '']);
      expect(posts).to.deep.equal([
        ['payment-card-number', '1', ''],
        ['payment-card-number', '2', 'input-timeout'],
        ['expiration-date', '1', ''],
        ['payment-processing', '1', ''],
      ]);
      expect(app.to('/pay-status').map((r) => JSON.stringify(r.body)).join('')).to.not.include(TEST_CARD_APPROVED);
    });

    it('when the caller hangs up mid-card, Twilio still requests the action with Result=caller-hung-up', async () => {
      const { app, record } = await call({ '/twilio/voice': payDoc(), '/paid': twiml('<Say>never heard</Say>') }, [`${TEST_CARD_APPROVED}#`, null]);
      expect(app.to('/paid')[0]!.body).to.include({ Result: 'caller-hung-up' });
      expect(ended(record)).to.include({ by: 'caller' });
      expect(heard(record).map((s) => s.text)).to.not.include('never heard');
    });

    it('the declined test card ends in a connector error', async () => {
      const { app } = await call({ '/twilio/voice': payDoc('securityCode="false" postalCode="false"'), '/paid': twiml('<Hangup/>') }, [`${TEST_CARD_DECLINED}#`, '1239#']);
      expect(app.to('/paid')[0]!.body).to.include({ Result: 'payment-connector-error', PaymentError: 'card is declined', ConnectorError: 'card_declined' });
    });

    it('a wrong card number is asked again up to maxAttempts, then given up', async () => {
      const { app, caller } = await call({ '/twilio/voice': payDoc('maxAttempts="2"'), '/paid': twiml('<Hangup/>') }, ['4242424242424241#', '1234#']);
      expect(caller.asked.map((a) => a.purpose)).to.deep.equal(['payment-card-number', 'payment-card-number']);
      expect(app.to('/paid')[0]!.body).to.include({ Result: 'too-many-failed-attempts' });
    });

    it('* ends <Pay> at once', async () => {
      const { app } = await call({ '/twilio/voice': payDoc(), '/paid': twiml('<Hangup/>') }, ['42*']);
      expect(app.to('/paid')[0]!.body).to.include({ Result: 'caller-interrupted-with-star' });
    });
  });

  describe('what stops a call with an error', () => {
    it('with a fallback URL, an action URL answering 500 makes Twilio request the fallback with ErrorCode 11200 and ErrorUrl, signed, and the call plays what it answers', async () => {
      const { record, app } = await call(
        {
          '/twilio/voice': twiml('<Gather action="/step?x=1" numDigits="1"/>'),
          '/step': { status: 500, type: 'text/plain', body: 'boom' },
          '/fallback': twiml('<Say>Sorry.</Say><Hangup/>'),
        },
        ['1'],
        { fallbackUrl: '/fallback' },
      );
      const [fallback] = app.to('/fallback');
      expect(fallback!.signatureValid).to.equal(true);
      expect(fallback!.body).to.include({ ErrorCode: '11200', ErrorUrl: `${app.url}/step?x=1`, CallStatus: 'in-progress', From: FROM });
      expect(fallback!.body).to.not.have.property('Digits');
      expect(heard(record).map((s) => s.text)).to.deep.equal(['Sorry.']);
      expect(record.events.find((e) => e.type === 'fallback')).to.include({ errorCode: '11200' });
      expect(ended(record)).to.include({ by: 'app' });
    });

    it('with a fallback URL, no answer within the request time-out (Twilio: 15 s) is error 11205, and the voice URL failing is handled the same way', async () => {
      const { app } = await call(
        { '/twilio/voice': { body: twiml('<Hangup/>'), delayMs: 1500 }, '/fallback': twiml('<Say>Sorry.</Say>') },
        [],
        { fallbackUrl: '/fallback', requestTimeoutMs: 300 },
      );
      expect(app.to('/fallback')[0]!.body).to.include({ ErrorCode: '11205', ErrorUrl: `${app.url}/twilio/voice`, CallStatus: 'ringing' });
    });

    it('a fallback that fails too ends the call with the error; so does a 500 with no fallback URL', async () => {
      app = await startTwimlApp({ '/twilio/voice': { status: 503, body: 'down' }, '/fallback': { status: 500, body: 'down too' } });
      const failure = await placeCall({ baseUrl: app.url, authToken: TWIML_APP_TOKEN, from: FROM, to: TO, fallbackUrl: '/fallback' }, scriptedCaller([])).catch((e) => e);
      expect(failure).to.be.instanceOf(CallFailure);
      expect(app.to('/fallback')).to.have.length(1);
    });

    it('an HTTP 500 stops the call with an HTTP error, after the status callback', async () => {
      const failure = await failingCall({ '/twilio/voice': { status: 500, type: 'text/plain', body: 'boom' } });
      expect(failure.kind).to.equal('http');
      expect(failure.message).to.include('500');
      expect(app!.to('/twilio/voice/status')[0]!.body).to.include({ CallStatus: 'completed' });
    });

    it('a document that is not XML is invalid TwiML', async () => {
      const failure = await failingCall({ '/twilio/voice': '<Response><Say>unclosed</Response>' });
      expect(failure.kind).to.equal('invalid-twiml');
    });

    it('a document whose root is not <Response> is invalid TwiML', async () => {
      const failure = await failingCall({ '/twilio/voice': '<Reply><Say>hi</Say></Reply>' });
      expect(failure.kind).to.equal('invalid-twiml');
      expect(failure.message).to.include('<Response>');
    });

    it('an answer that is not XML at all (JSON) is invalid TwiML', async () => {
      const failure = await failingCall({ '/twilio/voice': { type: 'application/json', body: '{}' } });
      expect(failure.kind).to.equal('invalid-twiml');
    });

    it('a verb nested where Twilio does not allow it is invalid TwiML', async () => {
      const failure = await failingCall({ '/twilio/voice': twiml('<Gather><Hangup/></Gather>') });
      expect(failure.kind).to.equal('invalid-twiml');
      expect(failure.message).to.include('<Gather> may only contain');
    });

    it('a bad attribute value is invalid TwiML', async () => {
      const failure = await failingCall({ '/twilio/voice': twiml('<Gather numDigits="zero"/>') });
      expect(failure.kind).to.equal('invalid-twiml');
      expect(failure.message).to.include('numDigits');
    });

    it('a verb the simulator does not know stops the call', async () => {
      const unknown = await failingCall({ '/twilio/voice': twiml('<Say>hi</Say><Dance/>') });
      expect(unknown.kind).to.equal('unknown-verb');
      expect(unknown.message).to.include('<Dance>');
      await app!.close();
      const unsupported = await failingCall({ '/twilio/voice': twiml('<Dial>+815000000000</Dial>') });
      expect(unsupported.kind).to.equal('unknown-verb');
      expect(unsupported.message).to.include('<Dial>');
    });

    it('speech to a <Gather> that listens posts SpeechResult and Confidence (no Digits) as Twilio does; Confidence may be left out; keys to input="speech" are not taken', async () => {
      const listens = '<Gather input="dtmf speech" language="ja-JP" speechModel="numbers_and_commands" speechTimeout="2" hints="はい, 登録" action="/heard"><Say>どうぞ</Say></Gather><Redirect>/twilio/voice</Redirect>';
      const { app, caller } = await call({ '/twilio/voice': twiml(listens), '/heard': twiml('<Hangup/>') }, ['say@0.87:ろくごーにー']);
      expect(caller.asked[0]).to.deep.include({ listening: 'ja-JP' });
      const [heard] = app.to('/heard');
      expect(heard!.body).to.include({ SpeechResult: 'ろくごーにー', Confidence: '0.87' });
      expect(heard!.body).to.not.have.property('Digits');
      expect(heard!.signatureValid).to.equal(true);
      const none = await call({ '/twilio/voice': twiml(listens), '/heard': twiml('<Hangup/>') }, ['say@none:はい']);
      expect(none.app.to('/heard')[0]!.body).to.include({ SpeechResult: 'はい' }).and.not.have.property('Confidence');
      const speechOnly = await call({ '/twilio/voice': twiml('<Gather input="speech" language="en-US" action="/heard"/><Hangup/>'), '/heard': twiml('<Hangup/>') }, ['123#']);
      expect(speechOnly.app.to('/heard')).to.have.length(0);
    });

    it('speech to a <Gather input="dtmf"> is silence: nothing is posted and the next verb runs', async () => {
      const { app, record } = await call({ '/twilio/voice': twiml('<Gather input="dtmf" action="/heard"><Say>Keys.</Say></Gather><Say>Nothing heard.</Say><Hangup/>'), '/heard': twiml('<Hangup/>') }, ['say:one two three']);
      expect(app.to('/heard')).to.have.length(0);
      expect(heard(record).map((s) => s.text)).to.deep.equal(['Keys.', 'Nothing heard.']);
      expect(record.events.find((e) => e.type === 'speech')).to.deep.include({ heard: false });
    });

    it('a <Gather> that listens must name a speechModel Twilio lists, taking its language, and no speechTimeout="auto" with a model (warning 13335)', async () => {
      const refused = async (attributes: string) => (await failingCall({ '/twilio/voice': twiml(`<Gather input="dtmf speech" ${attributes}/>`) })).message;
      expect(await refused('speechModel="whisper-large"')).to.include('not one Twilio lists');
      expect(await refused('speechModel="phone_call" language="ko-KR"')).to.include('does not take');
      expect(await refused('speechModel="numbers_and_commands" speechTimeout="auto"')).to.include('13335');
      expect((await failingCall({ '/twilio/voice': twiml('<Gather input="fax"/>') })).message).to.include('must be dtmf, speech or dtmf speech');
    });

    it('a <Redirect> loop stops after the request limit', async () => {
      const failure = await failingCall({ '/twilio/voice': twiml('<Redirect>/twilio/voice</Redirect>') }, { maxRequests: 5 });
      expect(failure.kind).to.equal('too-many-requests');
      expect(app!.to('/twilio/voice')).to.have.length(5);
    });
  });
});
