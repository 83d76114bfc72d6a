import { expect } from 'chai';
import { callTimeline, firstNumberEndsAt, firstNumberHeardAt, heardAt, numberEndsAt, type TimelineEntry } from '../../simulator/timing.ts';
import { jsonRequest, register, startTestApp, type TestApp } from '../support/harness.ts';
import { TestCall, uniqueCallerNumber } from '../support/call.ts';
import { startStripeStandIn, STRIPE_TEST_CARDS, type StripeStandIn } from '../../simulator/stripe.ts';
import { startCarrierStandIn, type CarrierStandIn } from '../../simulator/carrier-billing.ts';
import { spokenNumbers } from '../support/twiml.ts';
import { activeMember } from '../support/member.ts';
import { adminAuth, createMerchant, merchantAuth } from '../support/payments.ts';

const PIN = '2468';

/**
 * A first-time card caller's budget to the first digit of the formal ID: the premium-rate budget
 * plus the price and consent (one key), whether to keep the card (one key), and the card itself
 * (three fields, 23 keys, and the processing message), as measured with the stand-in (docs/CHARGING.md).
 */
const FIRST_CARD_BUDGET = { 'ja-JP': 70, 'en-US': 77 } as const;

/** A code bought on the phone bill when the operator texts a code to key: the keys, the prompt, and 10 s to read the text. */
const CARRIER_CODE_BUDGET = { 'ja-JP': 67, 'en-US': 64 } as const;

/** Every event of the call so far, as the caller lived it. */
class TimedCall extends TestCall {
  readonly all: Parameters<typeof callTimeline>[0] = [];
  override async dial() {
    const answer = await super.dial();
    this.all.push(...this.events);
    return answer;
  }
  override async press(keys: string) {
    const answer = await super.press(keys);
    this.all.push(...this.events);
    return answer;
  }
  override async say(transcript: string, confidence?: number | 'none') {
    const answer = await super.say(transcript, confidence);
    this.all.push(...this.events);
    return answer;
  }
  timeline(): TimelineEntry[] {
    return callTimeline(this.all);
  }
}

const show = (timeline: TimelineEntry[]) => timeline.map((e) => `${e.at.toFixed(1).padStart(5)} s  ${e.kind.padEnd(7)} ${e.text}`).join('\n');

/**
 * The time budgets a caller lives with, measured by the spoken-time estimator over the TwiML each
 * scripted call really gets (simulator/timing.ts; `npm run call -- --timing` prints the same).
 */
/**
 * The product's model on premium-rate: the service number bills the activation fee per call, and
 * each code amount (and each payment request amount) has a number of its own billing it.
 */
const PREMIUM_NUMBERS = {
  '300': '+815000001234',
  '500': '+815000000500',
  '1000': '+815000001000',
  '3000': '+815000003000',
  '5000': '+815000005000',
} as const;
const PREMIUM_ENV = {
  CODE_DENOMINATIONS: '500,1000,3000,5000',
  CHARGE_METHOD: 'premium-rate',
  CHARGE_METHOD_APPROVALS: 'premium-rate',
  PREMIUM_RATE_NUMBERS: Object.entries(PREMIUM_NUMBERS)
    .map(([amount, to]) => `${to}=${amount}/call@0990-50-${amount.padStart(4, '0')}`)
    .join(','),
};

describe('every call within its time budget', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp(PREMIUM_ENV);
  });
  after(() => app.close());

  // Issue 26: the whole first reading of the formal ID over by 30 s (ja) / 35 s (en) after pick-up
  // (it was 30.5 s / 40.6 s by this estimator): a first-time caller keys the provisional ID and #
  // at the greeting, without a menu key; an English caller presses 9 and # first.
  for (const [locale, budget] of [['ja-JP', 30], ['en-US', 35]] as const) {
    it(`a first-time ${locale} registrant has heard the whole formal ID once within ${budget} s of pick-up, in their language`, async () => {
      const { provisionalId } = await register(app, 'Hanako', 'h@example.com', locale);
      const call = new TimedCall(app);
      await call.dial();
      if (locale === 'en-US') await call.press('9#');
      await call.press(`${provisionalId}#`);
      const timeline = call.timeline();
      const over = firstNumberEndsAt(timeline, 9);
      expect(over, show(timeline)).to.be.a('number');
      expect(over!, show(timeline)).to.be.at.most(budget);
      const activated = timeline.find((e) => e.numbers?.length)!;
      expect(activated.language).to.equal(locale);
    });
  }

  /** Issue 27: a caller who only speaks, the ID read back and confirmed before anything is done. */
  const SPOKEN_FIRST_CALL_BUDGET = 45;
  const JA_SAID = ['ぜろ', 'いち', 'にー', 'さん', 'よん', 'ごー', 'ろく', 'なな', 'はち', 'きゅう'];
  const EN_SAID = ['oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  for (const locale of ['ja-JP', 'en-US'] as const) {
    it(`a first-time ${locale} caller who only speaks hears the ID read back, says yes, and has heard the whole formal ID within ${SPOKEN_FIRST_CALL_BUDGET} s of pick-up`, async () => {
      const { provisionalId } = await register(app, 'Hanako', 'h@example.com', locale);
      const call = new TimedCall(app);
      await call.dial();
      const groups = [provisionalId.slice(0, 3), provisionalId.slice(3, 7), provisionalId.slice(7)];
      if (locale === 'ja-JP') {
        await call.say(`えーと、${groups.map((g) => [...g].map((d) => JA_SAID[Number(d)]).join('')).join('、')}です`);
      } else {
        await call.say('English');
        await call.say(groups.map((g) => [...g].map((d) => EN_SAID[Number(d)]).join(' ')).join(', '));
      }
      expect(call.heardNumbers(), 'read back first').to.deep.equal([provisionalId]);
      await call.say(locale === 'ja-JP' ? 'はい' : 'yes');
      const formalId = call.heardNumbers()[0]!;
      const timeline = call.timeline();
      const over = numberEndsAt(timeline, formalId);
      expect(over, show(timeline)).to.be.a('number');
      expect(over!, show(timeline)).to.be.at.most(SPOKEN_FIRST_CALL_BUDGET);
      expect(timeline.filter((e) => e.kind === 'speech'), 'spoken, never keyed').to.have.length(locale === 'ja-JP' ? 2 : 3);
      expect(timeline.some((e) => e.kind === 'keys')).to.equal(false);
    });
  }

  it('a first-time caller who presses # before the ID waits out the greeting\'s timeout, as Twilio\'s current <Gather> does, and is still within the budget of a menu key', async () => {
    const { provisionalId } = await register(app, 'Hanako', 'h@example.com', 'ja-JP');
    const call = new TimedCall(app);
    await call.dial();
    await call.press(`#${provisionalId}#`);
    const timeline = call.timeline();
    const keys = timeline.find((e) => e.kind === 'keys')!;
    expect(keys.text, show(timeline)).to.equal(`#${provisionalId}#`);
    expect(firstNumberEndsAt(timeline, 9)!, show(timeline)).to.be.at.most(30.5);
  });

  it('an English caller is offered English, in an English voice, within the first 5 seconds', async () => {
    const call = new TimedCall(app);
    await call.dial();
    const offer = call.timeline().find((e) => e.kind === 'say' && e.language === 'en-US');
    expect(offer!.text).to.include('English');
    expect(offer!.at).to.be.at.most(5);
  });

  for (const locale of ['ja-JP', 'en-US'] as const) {
    describe(`a member whose line is known (${locale})`, () => {
      const line = uniqueCallerNumber();
      let member: Awaited<ReturnType<typeof activeMember>>;
      before(async () => {
        member = await activeMember(app, { pin: PIN, from: line, locale });
      });

      it('buys a code on the number for its amount and has heard it within 60 s', async () => {
        const call = new TimedCall(app, line, PREMIUM_NUMBERS['500']);
        await call.dial();
        await call.press('2');
        await call.press(`${member.formalId}#`);
        await call.press(`${PIN}#`);
        await call.press('1');
        await call.press('1');
        const timeline = call.timeline();
        expect(timeline[0]!.language, 'greeted in the member language').to.equal(locale);
        const heard = firstNumberEndsAt(timeline, 16);
        expect(heard, show(timeline)).to.be.a('number');
        expect(heard!, show(timeline)).to.be.at.most(60);
      });

      it('buys a code for one merchant (9, its number and #) and has heard it within 60 s', async () => {
        const shop = await createMerchant(app, 'Ramen Ya');
        const call = new TimedCall(app, line, PREMIUM_NUMBERS['500']);
        await call.dial();
        await call.press('2');
        await call.press(`${member.formalId}#`);
        await call.press(`${PIN}#`);
        await call.press('9');
        await call.press(`${shop.merchantId}#`);
        // One amount is sold on this number: the price is said at once, no amount menu.
        await call.press('1');
        const timeline = call.timeline();
        expect(timeline.some((e) => e.text.includes('Ramen Ya')), show(timeline)).to.equal(true);
        const heard = firstNumberEndsAt(timeline, 16);
        expect(heard, show(timeline)).to.be.a('number');
        expect(heard!, show(timeline)).to.be.at.most(60);
      });

      it('approves a payment request within 45 s', async () => {
        const shop = await createMerchant(app, 'Ramen Ya');
        const created = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 1000, description: 'Ramen set' }, merchantAuth(shop, { 'Idempotency-Key': `t-${line}` }));
        expect(created.status, JSON.stringify(created.body)).to.equal(201);
        const call = new TimedCall(app, line, PREMIUM_NUMBERS['1000']);
        await call.dial();
        await call.press('3');
        await call.press(`${member.formalId}#`);
        await call.press(`${PIN}#`);
        await call.press(`${created.body.number}#`);
        await call.press('1');
        const timeline = call.timeline();
        const at = heardAt(timeline, locale === 'ja-JP' ? '承認しました' : 'Approved');
        expect(at, show(timeline)).to.be.a('number');
        expect(at!, show(timeline)).to.be.at.most(45);
      });

      it('renews access within 35 s', async () => {
        const call = new TimedCall(app, line);
        await call.dial();
        await call.press('4');
        await call.press(`${member.formalId}#`);
        await call.press(`${PIN}#`);
        await call.press('1');
        const timeline = call.timeline();
        const at = heardAt(timeline, locale === 'ja-JP' ? '更新しました' : 'Renewed');
        expect(at, show(timeline)).to.be.a('number');
        expect(at!, show(timeline)).to.be.at.most(35);
      });
    });
  }
});

export { adminAuth };

/**
 * The development default: a demo code sold on the service number, which bills 300 yen a call. The
 * caller hears that the code is free but the call is billed (docs/CHARGING.md, none) and still
 * hears the code within the premium-rate budget.
 */
describe('a demo code on a number that bills every call, within its time budget', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  for (const locale of ['ja-JP', 'en-US'] as const) {
    it(`a ${locale} member buys a demo code on the service number, told the call's price first, and has heard it within 60 s`, async () => {
      const line = uniqueCallerNumber();
      const member = await activeMember(app, { pin: PIN, from: line, locale });
      const call = new TimedCall(app, line);
      await call.dial();
      await call.press('2');
      await call.press(`${member.formalId}#`);
      await call.press(`${PIN}#`);
      await call.press('1');
      await call.press('1');
      const timeline = call.timeline();
      expect(heardAt(timeline, locale === 'ja-JP' ? 'この通話の料金300円' : 'this call costs 300 yen'), show(timeline)).to.be.a('number');
      const heard = firstNumberEndsAt(timeline, 16);
      expect(heard, show(timeline)).to.be.a('number');
      expect(heard!, show(timeline)).to.be.at.most(60);
    });
  }
});

/**
 * Paying by card (CARD_PROCESSOR=stripe): a member who kept a card pays after the PIN and one key,
 * no card keyed; a first-time caller agrees to the price, says whether to keep the card and keys it.
 */
describe('card calls within their time budgets', () => {
  let stripe: StripeStandIn;
  let app: TestApp;
  before(async () => {
    stripe = await startStripeStandIn();
    app = await startTestApp({ CHARGE_METHOD: 'card', CARD_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_API_URL: stripe.url, CODE_DENOMINATIONS: '1000,3000,5000' });
  });
  after(async () => {
    await app.close();
    await stripe.close();
  });

  const keyCard = async (call: TestCall) => {
    await call.press(`${STRIPE_TEST_CARDS.succeeds}#`);
    await call.press('1239#');
    return call.press('123#');
  };

  for (const [locale, budget] of [['ja-JP', FIRST_CARD_BUDGET['ja-JP']], ['en-US', FIRST_CARD_BUDGET['en-US']]] as const) {
    it(`a first-time ${locale} card caller (price, keep the card, card keyed) hears the first digit of the formal ID within ${budget} s`, async () => {
      const { provisionalId } = await register(app, 'Hanako', 'h@example.com', locale);
      const call = new TimedCall(app);
      await call.dial();
      if (locale === 'en-US') await call.press('9#');
      await call.press(`${provisionalId}#`);
      await call.press('1');
      await call.press('1');
      await keyCard(call);
      const timeline = call.timeline();
      const at = firstNumberHeardAt(timeline, 9);
      expect(at, show(timeline)).to.be.a('number');
      expect(at!, show(timeline)).to.be.at.most(budget);
    });
  }

  for (const locale of ['ja-JP', 'en-US'] as const) {
    it(`a returning ${locale} member with a kept card buys a 3,000-yen code and starts hearing it within 45 s of pick-up`, async () => {
      const line = uniqueCallerNumber();
      const { provisionalId, password } = await register(app, 'Hanako', 'h@example.com', locale);
      const first = new TestCall(app, line);
      await first.dial();
      if (locale === 'en-US') await first.press('9#');
      await first.press(`${provisionalId}#`);
      await first.press('1');
      await first.press('1');
      const formalId = spokenNumbers((await keyCard(first)).verbs)[0]!;
      await first.hangUp();
      const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password }) });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin: PIN }) });

      const call = new TimedCall(app, line);
      await call.dial();
      await call.press('2');
      await call.press(`${formalId}#`);
      await call.press(`${PIN}#`);
      await call.press('2');
      await call.press('1');
      const timeline = call.timeline();
      expect(timeline.some((e) => e.kind === 'say' && e.numbers?.includes('4242')), show(timeline)).to.equal(true);
      // The code's first digit, as the formal ID's budget is counted (docs/CHARGING.md, Time to pay).
      const heard = firstNumberHeardAt(timeline, 16);
      expect(heard, show(timeline)).to.be.a('number');
      expect(heard!, show(timeline)).to.be.at.most(45);
    });
  }
});

/**
 * The calling line's phone bill (carrier-billing): the price, 1, and the code is read; where the
 * operator asks for validation, the caller also keys the code it texted (the time to read the
 * text message is not in the estimate: the budget allows 10 s for it).
 */
describe('calls paid on the phone bill within their time budgets', () => {
  let operator: CarrierStandIn;
  let app: TestApp;
  before(async () => {
    operator = await startCarrierStandIn();
    app = await startTestApp({ CHARGE_METHOD: 'carrier-billing', ...operator.env, CODE_DENOMINATIONS: '1000,3000,5000' });
  });
  after(async () => {
    await app.close();
    await operator.close();
  });

  for (const [locale, validation, budget] of [
    ['ja-JP', false, 45],
    ['en-US', false, 45],
    ['ja-JP', true, CARRIER_CODE_BUDGET['ja-JP']],
    ['en-US', true, CARRIER_CODE_BUDGET['en-US']],
  ] as const) {
    it(`a ${locale} member buys a 3,000-yen code on the phone bill${validation ? ', keying the code the operator texts,' : ''} and starts hearing it within ${budget} s of pick-up`, async () => {
      const line = uniqueCallerNumber();
      const member = await activeMemberOnBill(app, line, locale);
      if (validation) operator.lines.set(line, { validation: true });
      const call = new TimedCall(app, line);
      await call.dial();
      await call.press('2');
      await call.press(`${member.formalId}#`);
      await call.press(`${PIN}#`);
      await call.press('2');
      await call.press('1');
      if (validation) await call.press(`${operator.sms.get(line)!.at(-1)}#`);
      const timeline = call.timeline();
      const heard = firstNumberHeardAt(timeline, 16);
      expect(heard, show(timeline)).to.be.a('number');
      // Reading the texted code is not in the estimate: 10 s allowed for it.
      expect(heard! + (validation ? 10 : 0), show(timeline)).to.be.at.most(budget);
    });
  }
});

/** A member activated on the phone bill, with a PIN, calling from `line`. */
async function activeMemberOnBill(app: TestApp, line: string, locale: 'ja-JP' | 'en-US') {
  const { provisionalId, password } = await register(app, 'Hanako', 'h@example.com', locale);
  const call = new TestCall(app, line);
  await call.dial();
  if (locale === 'en-US') await call.press('9');
  await call.press('1');
  await call.press(`${provisionalId}#`);
  const formalId = spokenNumbers((await call.press('1')).verbs)[0]!;
  await call.hangUp();
  const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin: PIN }) });
  return { formalId };
}
