import { expect } from 'chai';
import { CALL_FLOW } from '../../src/voice/call-flow.ts';
import { PATHS } from '../../src/voice/paths.ts';
import { jsonRequest, register, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall } from '../support/call.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { createMerchant, merchantAuth, type TestMerchant } from '../support/payments.ts';
import { offeredKeys, twimlProblems } from '../support/twiml-rules.ts';
import { findVerb, textOf } from '../support/twiml.ts';

/** A small deterministic random source, so a failing walk can be replayed. */
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

describe("every TwiML document the call flows produce keeps Twilio's rules", () => {
  let app: TestApp;
  let member: ActiveMember;
  let shop: TestMerchant;
  const pending: string[] = [];
  const PIN = '4680';
  before(async () => {
    app = await startTestApp({ MONTHLY_SPENDING_CAP: '3000', LINE_MAX_WRONG_ENTRIES_PER_DAY: '1000' });
    member = await activeMember(app, { pin: PIN });
    shop = await createMerchant(app);
    for (let i = 0; i < 4; i++) pending.push((await register(app)).provisionalId);
  });
  after(() => app.close());

  it('random walks through every step (keys, silence, right and wrong entries) produce only valid TwiML, and reach every step', async function () {
    this.timeout(120_000);
    const random = seeded(20261201);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const documents = new Map<string, string>();
    const reached = new Set<string>();
    const offeredPressed = new Set<string>();
    let requests = 0;
    const entryFor = async (path: string): Promise<string[]> => {
      switch (path) {
        case PATHS.provisionalId:
          return [`${pick(pending)}#`, '12345678901#', member.provisionalId + '#'];
        case PATHS.formalId:
          return [`${member.formalId}#`, `${member.formalId}#`, '12345678#'];
        case PATHS.pin:
          return [`${PIN}#`, `${PIN}#`, '0000#'];
        case PATHS.payMerchant:
          return ['#', `${shop.merchantId}#`, '1234567#'];
        case PATHS.approvalNumber: {
          const created = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 500, description: 'Tea' }, merchantAuth(shop, { 'Idempotency-Key': `walk-${requests}-${random()}` }));
          return [`${created.body.number}#`, '1234567#'];
        }
        default:
          return [];
      }
    };
    for (let walk = 0; walk < 50; walk++) {
      const call = new TestCall(app);
      await call.dial();
      for (let step = 0; step < 14 && !call.turn.ended; step++) {
        for (const event of call.events) {
          if (event.type === 'response' && event.contentType.includes('xml')) documents.set(event.body.replace(/t=\d+|rn=\w+|pn=\w+/g, ''), event.body);
          if (event.type === 'request') reached.add(new URL(event.url).pathname);
        }
        const gather = findVerb(call.last.verbs, 'Gather')!;
        const offered = gather.attributes.numDigits === '1' ? offeredKeys(gather.children.map(textOf).join(' ')) : [];
        const action = new URL(call.gatherAction()).pathname;
        const entries = await entryFor(action);
        const oneKey = ['1', '2', '3', '4', '1', '2', '0', '9', '#', '*', '7'];
        const choice = random() < 0.08 ? null : entries.length ? pick([...entries, ...entries, '#']) : pick(oneKey);
        requests++;
        if (choice === null) await call.silence();
        else await call.press(choice);
        // A key the prompt offered is never answered with "not on the menu".
        if (choice && offered.includes(choice)) expect(call.heardText(), `${choice} was offered at ${action}`).to.not.match(/そのボタンはメニューにありません|That key is not on the menu/);
        if (choice && offered.includes(choice)) offeredPressed.add(`${action} ${choice}`);
      }
      for (const event of call.events) if (event.type === 'response' && event.contentType.includes('xml')) documents.set(event.body, event.body);
      if (!call.turn.ended) await call.hangUp();
    }
    const problems = [...documents.values()].flatMap((xml) => twimlProblems(xml).map((p) => `${p}\n    in ${xml.slice(0, 300)}`));
    expect(problems, problems.slice(0, 5).join('\n')).to.deep.equal([]);
    expect(documents.size).to.be.greaterThan(40);
    // The card and phone-bill steps are walked in voice-card, voice-kept-card and voice-carrier-billing tests (with <Pay>, Stripe and the operator stand-ins).
    const cardOnly = new Set<string>([PATHS.activationConsent, PATHS.cardKeep, PATHS.cardPaid, PATHS.carrierCode]);
    const unreached = Object.keys(CALL_FLOW).filter((path) => !reached.has(path) && !cardOnly.has(path));
    expect(unreached, 'steps no walk reached').to.deep.equal([]);
    expect(offeredPressed.size, 'offered keys pressed').to.be.greaterThan(15);
  });

  it('the rules catch what Twilio would break: a <Gather> with nothing after it, a voice for another language, a long digit run, a currency sign', () => {
    const say = (attrs: string, body: string) => `<Say ${attrs}>${body}</Say>`;
    const doc = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;
    expect(twimlProblems(doc(`<Gather action="https://x/a">${say('voice="Polly.Mizuki" language="ja-JP"', 'はい')}</Gather>`))).to.have.length(2);
    expect(offeredKeys('仮IDの登録は1、コード購入は2、期間の更新は4を押してください。500円は1、')).to.deep.equal(['1', '2', '4']);
    expect(offeredKeys('To activate, press 1. To buy a code, 2. For 1,000 yen, press 3.')).to.deep.equal(['1', '2', '3']);
    const problems = (body: string) => twimlProblems(doc(`${body}<Hangup/>`)).join(' | ');
    expect(problems(say('voice="Polly.Joanna" language="ja-JP"', 'hi'))).to.include('speaks en-US');
    expect(problems(say('voice="Polly.Joanna" language="en-US"', 'Your ID is 123456789'))).to.include('five or more digits');
    expect(problems(say('voice="Polly.Joanna" language="en-US"', 'That is ￥300'))).to.include('currency sign');
    expect(problems(say('voice="Polly.Nobody" language="en-US"', 'hi'))).to.include('not a voice');
    // A <Pay> that leaves a step to Twilio's English, or speaks two languages.
    const ja = (body: string) => say('voice="Polly.Mizuki" language="ja-JP"', body);
    const pay = (prompts: string) => `<Pay paymentMethod="credit-card" chargeAmount="300" action="https://x/p">${prompts}</Pay>`;
    const allSteps = ['payment-card-number', 'expiration-date', 'security-code', 'postal-code', 'payment-processing'].map((step) => `<Prompt for="${step}">${ja('カード')}</Prompt>`).join('');
    const retries = `<Prompt for="payment-card-number" errorType="timeout invalid-card-number invalid-card-type">${ja('もう一度')}</Prompt><Prompt for="expiration-date" errorType="timeout invalid-date">${ja('もう一度')}</Prompt><Prompt for="security-code" errorType="timeout invalid-security-code">${ja('もう一度')}</Prompt><Prompt for="postal-code" errorType="timeout">${ja('もう一度')}</Prompt>`;
    expect(problems(pay(allSteps + retries))).to.equal('');
    expect(problems(pay(allSteps))).to.include('no <Prompt for="payment-card-number" errorType> for timeout, invalid-card-number, invalid-card-type');
    expect(problems(pay(allSteps.replace(/<Prompt for="payment-processing">.*?<\/Prompt>/, '') + retries))).to.include('no <Prompt for="payment-processing"> of its own');
    expect(problems(pay(allSteps + retries + `<Prompt for="postal-code" errorType="timeout">${say('voice="Polly.Joanna" language="en-US"', 'Again')}</Prompt>`))).to.include('speaks ja-JP and en-US');
    expect(twimlProblems(doc(`${say('voice="Polly.Joanna" language="en-US"', 'It costs 30,000 yen. <say-as interpret-as="digits">1234567890</say-as>')}<Hangup/>`))).to.deep.equal([]);
    expect(twimlProblems(doc(say('voice="Polly.Joanna" language="en-US"', 'Bye.')))[0]).to.include('ends with <Say>');
  });
});
