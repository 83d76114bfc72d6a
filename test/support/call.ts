import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import { BrowserCall, type Turn } from '../../simulator/browser-calls.ts';
import type { CallEvent } from '../../simulator/call.ts';
import { newCallSid, type TestApp, type TwilioPostResult } from './harness.ts';
import { findVerb, parseTwiml } from './twiml.ts';
import { twimlProblems } from './twiml-rules.ts';

/**
 * Every TwiML answer any simulated call in the run heard; once the whole run is over, each must
 * keep the rules of docs/TWILIO-BEHAVIOUR.md (a root hook, so no test can skip it).
 */
const heardDocuments = new Set<string>();
after('every TwiML document heard in this run keeps Twilio\'s rules', () => {
  const problems = [...heardDocuments].flatMap((xml) => twimlProblems(xml).map((p) => `${p}\n    in ${xml.slice(0, 200)}`));
  expect(problems, problems.slice(0, 3).join('\n')).to.deep.equal([]);
});

/** The call's and <Pay>'s status callbacks: told how things went, they answer no TwiML the caller hears. */
const isStatusCallback = (url: string) => /^\/twilio\/voice(\/card)?\/status$/.test(new URL(url).pathname);

/** The Twilio account's Pay Connector, as the app is set up: a Stripe one at the app's Stripe (the stand-in) when CARD_PROCESSOR=stripe. */
export function payConnectorsOf(app: Pick<TestApp, 'config'>) {
  const stripe = app.config.charging.stripe;
  return stripe?.apiUrl ? { [app.config.payConnector]: { stripe: { url: stripe.apiUrl, secretKey: stripe.secretKey } } } : undefined;
}

/** A Japanese mobile number of its own for each call, so calls share no line limits or language unless a test says so. */
export const uniqueCallerNumber = () => `+8190${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;

/**
 * One phone call, driven only through the call simulator, which plays the app's TwiML as Twilio
 * does (docs/TWILIO-BEHAVIOUR.md): the test presses keys, stays silent or hangs up, and the
 * simulator decides which request Twilio would send, if any. No test builds a webhook body.
 */
export class TestCall {
  readonly callSid = newCallSid();
  /** The last TwiML answer the caller heard. */
  last!: TwilioPostResult;
  /** Everything that happened since the caller's last input. */
  turn!: Turn;
  private call?: BrowserCall;
  private lastRequest?: { url: string; init: RequestInit };

  constructor(
    readonly app: TestApp,
    readonly from = uniqueCallerNumber(),
    /** The number dialled (Twilio's To): SERVICE_PHONE_NUMBER unless a test calls another premium-rate number. */
    readonly to = app.config.servicePhoneNumber,
  ) {}

  async dial(): Promise<TwilioPostResult> {
    const recordingFetch: typeof fetch = async (input, init) => {
      const url = String(input);
      if (!isStatusCallback(url)) this.lastRequest = { url, init: init ?? {} };
      return fetch(input, init);
    };
    this.call = new BrowserCall(
      {
        baseUrl: this.app.config.publicBaseUrl,
        connectTo: this.app.url,
        authToken: this.app.config.twilio.authToken,
        from: this.from,
        to: this.to,
        callSid: this.callSid,
        fetch: recordingFetch,
        payConnectors: payConnectorsOf(this.app),
      },
      () => undefined,
    );
    return this.take(await this.call.nextTurn());
  }

  /** Keys pressed in a row, e.g. '2' or '12345678901#'; Twilio's <Gather> rules decide what is sent. */
  async press(keys: string): Promise<TwilioPostResult> {
    this.expectWaiting(`press ${keys}`);
    return this.take(await this.call!.answer(keys));
  }

  /** The caller keys nothing until the <Gather> times out. */
  async silence(): Promise<TwilioPostResult> {
    this.expectWaiting('stay silent');
    return this.take(await this.call!.answer(''));
  }

  /** The caller hangs up; the simulator then sends the status callback, as Twilio does. */
  async hangUp(): Promise<void> {
    if (!this.turn.ended) this.turn = await this.call!.hangUp();
  }

  /**
   * Twilio sends the last webhook again, byte for byte (a retry after a timeout or a dropped
   * connection): the answer is returned, and the call itself goes on from the first answer.
   */
  async twilioRetriesLastRequest(): Promise<TwilioPostResult> {
    expect(this.lastRequest, 'no webhook has been sent yet').to.exist;
    const { url, init } = this.lastRequest!;
    const res = await fetch(url, init);
    const body = await res.text();
    return { status: res.status, body, verbs: (res.headers.get('content-type') ?? '').includes('xml') ? parseTwiml(body) : [] };
  }

  gatherAction(): string {
    const gather = findVerb(this.last.verbs, 'Gather');
    expect(gather, `expected a <Gather> in ${this.last.body}`).to.exist;
    return gather!.attributes.action!;
  }

  /** Whether the app ended the call (<Hangup/>). */
  hungUp(): boolean {
    return this.turn.ended && this.turn.events.some((e) => e.type === 'ended' && e.by === 'app');
  }

  /** Everything said since the last input, as the caller heard it (digits one by one). */
  heardText(): string {
    return this.turn.events.flatMap((e) => (e.type === 'say' ? [e.text] : [])).join(' ');
  }

  /** The numbers read out since the last input (each digit block as one number). */
  heardNumbers(): string[] {
    return this.turn.events.flatMap((e) => (e.type === 'say' ? e.numbers : []));
  }

  get events(): CallEvent[] {
    return this.turn.events;
  }

  private expectWaiting(what: string) {
    expect(this.call, 'dial() first').to.exist;
    expect(this.turn.ended, `the call has ended; cannot ${what}. Last answer: ${this.last?.body}`).to.equal(false);
  }

  private take(turn: Turn): TwilioPostResult {
    this.turn = turn;
    const responses = turn.events.filter((e): e is Extract<CallEvent, { type: 'response' }> => e.type === 'response' && !isStatusCallback(e.url));
    for (const r of responses) if (r.contentType.includes('xml') && heardDocuments.size < 20_000) heardDocuments.add(r.body);
    const response = responses.at(-1);
    if (response) this.last = { status: response.status, body: response.body, verbs: response.contentType.includes('xml') ? parseTwiml(response.body) : [] };
    // What the caller heard is kept (this.last) before a failure is thrown, so a test can look at both.
    if (turn.error) throw new Error(`the simulated call failed: ${turn.error.kind}: ${turn.error.message}`);
    return this.last;
  }
}
