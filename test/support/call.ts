import { expect } from 'chai';
import { callParams, newCallSid, postTwilio, type TestApp, type TwilioPostResult } from './harness.ts';
import { findVerb } from './twiml.ts';

/**
 * One phone call, driven the way Twilio drives it: each answer's <Gather action> is where the
 * next keys go. `press` fails the test if the last answer was not waiting for keys.
 */
export class TestCall {
  readonly callSid = newCallSid();
  last!: TwilioPostResult;
  constructor(
    readonly app: TestApp,
    readonly from = '+819012345678',
  ) {}

  async dial(): Promise<TwilioPostResult> {
    this.last = await postTwilio(this.app, '/twilio/voice', callParams(this.callSid, this.from));
    return this.last;
  }

  gatherAction(): string {
    const gather = findVerb(this.last.verbs, 'Gather');
    expect(gather, `expected a <Gather> in ${this.last.body}`).to.exist;
    return gather!.attributes.action!;
  }

  async press(digits: string): Promise<TwilioPostResult> {
    const action = this.gatherAction();
    const keys = digits.endsWith('#') ? digits.slice(0, -1) : digits;
    const extra: Record<string, string> = { Digits: keys };
    if (digits.endsWith('#')) extra.FinishedOnKey = '#';
    this.last = await postTwilio(this.app, action, callParams(this.callSid, this.from, extra));
    return this.last;
  }

  /** The caller keys nothing: Twilio follows the <Redirect> after the <Gather>. */
  async silence(): Promise<TwilioPostResult> {
    const redirect = findVerb(this.last.verbs, 'Redirect');
    expect(redirect, `expected a <Redirect> in ${this.last.body}`).to.exist;
    this.last = await postTwilio(this.app, redirect!.children.map((c) => c.text).join(''), callParams(this.callSid, this.from));
    return this.last;
  }

  hungUp(): boolean {
    return Boolean(findVerb(this.last.verbs, 'Hangup'));
  }
}
