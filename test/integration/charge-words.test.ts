import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { readLedger } from '../../src/accounts/ledger.ts';
import { methodFor, premiumNumberOf, type ChargeKind } from '../../src/charging/methods.ts';
import { loadVoiceFlows } from '../../src/voice/prompts.ts';
import { TEST_CARD_APPROVED } from '../../simulator/test-cards.ts';
import { startCarrierStandIn } from '../../simulator/carrier-billing.ts';
import { TestCall, uniqueCallerNumber } from '../support/call.ts';
import { activeMember } from '../support/member.ts';
import { jsonRequest, register, startTestApp, type TestApp } from '../support/harness.ts';
import { createMerchant, merchantAuth } from '../support/payments.ts';
import { spokenNumbers } from '../support/twiml.ts';

/**
 * Every price prompt, for every kind of charge, under every method and on every number Twilio
 * routes here: the words about money a caller hears must be the ones for the method that really
 * collects that kind, on that number (docs/CHARGING.md). A sentence of another method, "you have
 * not been charged" on a premium-rate number (whose carrier bills the call whatever happens), or
 * a premium-rate price on a number that does not bill it, fails the walk.
 */

const flows = loadVoiceFlows();
/** The longest literal stretch of a prompt's Japanese text: what the caller must (or must not) hear of it. */
const marker = (flow: 'charging' | 'card' | 'payment-code' | 'carrier-billing', key: string) => {
  const text = (flows.say as (f: string, k: string, l: 'ja-JP', v: Record<string, string>) => { parts: { text?: string }[] })(flow, key, 'ja-JP', new Proxy({}, { get: () => '\u0000' }));
  return text.parts
    .map((p) => p.text ?? '\u0000')
    .join('')
    .split('\u0000')
    .sort((a, b) => b.length - a.length)[0]!;
};
const SAID = {
  premiumBefore: marker('charging', 'beforePremiumRate'),
  premiumAfter: marker('charging', 'afterPremiumRate'),
  cardBefore: marker('charging', 'beforeCard'),
  cardAfter: marker('charging', 'afterCard'),
  carrierBefore: marker('charging', 'beforeCarrierBilling'),
  carrierAfter: marker('charging', 'afterCarrierBilling'),
  demoBefore: marker('charging', 'beforeNone'),
  demoAfter: marker('charging', 'afterNone'),
  demoCallBilled: marker('charging', 'demoCallBilled'),
  demoCallBilledPerMinute: marker('charging', 'demoCallBilledPerMinute'),
  notCharged: marker('charging', 'notCharged'),
  callBilled: marker('charging', 'callStillBilled'),
  callBilledPerMinute: marker('charging', 'callStillBilledPerMinute'),
  elsewhere: marker('charging', 'soldElsewhere'),
  nowhere: marker('charging', 'soldNowhere'),
  codeNumbers: marker('payment-code', 'codeNumbersIntro'),
};
/** Each method's words: said before the caller agrees (every kind but a premium-rate or demo activation, where the call itself is the fee), and after. */
const BEFORE = {
  'premium-rate': [SAID.premiumBefore],
  card: [SAID.cardBefore, marker('card', 'consentActivation')],
  'carrier-billing': [SAID.carrierBefore, marker('carrier-billing', 'consentActivation')],
  none: [SAID.demoBefore, SAID.demoCallBilled, SAID.demoCallBilledPerMinute],
} as const;
const BY_METHOD = {
  'premium-rate': [SAID.premiumBefore, SAID.premiumAfter],
  card: [...BEFORE.card, SAID.cardAfter],
  'carrier-billing': [...BEFORE['carrier-billing'], SAID.carrierAfter],
  none: [SAID.demoBefore, SAID.demoAfter, SAID.demoCallBilled, SAID.demoCallBilledPerMinute],
} as const;

/** Words that say nothing is charged: false on a number whose carrier bills every call its tariff. */
const NOTHING_CHARGED = [SAID.notCharged, SAID.demoBefore, SAID.demoAfter];

const NUMBERS = { fee: '+815000001234', code500: '+815000000500', plain: '+815000009999' } as const;
const CONFIGS: Record<string, Record<string, string>> = {
  // A fresh clone: activation and renewal premium-rate on SERVICE_PHONE_NUMBER (300/call), codes and approvals a demo sold on it too.
  'the development default (no CHARGE_METHOD)': { CODE_DENOMINATIONS: '500,1000' },
  'premium-rate for every kind, a number per price': {
    CHARGE_METHOD: 'premium-rate',
    CHARGE_METHOD_APPROVALS: 'premium-rate',
    CODE_DENOMINATIONS: '500,1000',
    PREMIUM_RATE_NUMBERS: `${NUMBERS.fee}=300/call@0990-50-0300,${NUMBERS.code500}=500/call@0990-50-0500,+815000001000=1000/call@0990-50-1000`,
  },
  'premium-rate for the fee, card for codes and requests': {
    CHARGE_METHOD_ACTIVATION: 'premium-rate',
    CHARGE_METHOD_RENEWAL: 'premium-rate',
    CHARGE_METHOD_CODES: 'card',
    CHARGE_METHOD_APPROVALS: 'card',
    CODE_DENOMINATIONS: '500,1000',
  },
  'card for every kind': { CHARGE_METHOD: 'card', CODE_DENOMINATIONS: '500,1000' },
  'none (a demo) for every kind': { CHARGE_METHOD: 'none', CODE_DENOMINATIONS: '500,1000' },
  'none (a demo) for every kind, on premium-rate numbers (one per call, one per minute)': {
    CHARGE_METHOD: 'none',
    CODE_DENOMINATIONS: '500,1000',
    PREMIUM_RATE_NUMBERS: `${NUMBERS.fee}=300/call@0990-50-0300,${NUMBERS.code500}=20/minute@0990-50-0020`,
  },
  'carrier billing for every kind (the operator stand-in)': { CHARGE_METHOD: 'carrier-billing', CODE_DENOMINATIONS: '500,1000' },
};
const KINDS: ChargeKind[] = ['activation', 'renewal', 'code_purchase', 'payment_approval'];
const PIN = '2468';

/** Keys a card if the call is at <Pay>, and what was said since. */
async function payIfAsked(call: TestCall): Promise<string> {
  let heard = call.heardText();
  if (call.last.body.includes('<Pay')) {
    await call.press(`${TEST_CARD_APPROVED}#`);
    await call.press('1239#');
    await call.press('123#');
    heard += ` ${call.heardText()}`;
  }
  return heard;
}

/** Walks one kind on one number to the price and through it (1 to buy), returning all that was said. */
async function walk(app: TestApp, kind: ChargeKind, to: string, member: { formalId: string }, request: { number: string }): Promise<string> {
  const call = new TestCall(app, undefined, to);
  await call.dial();
  const said: string[] = [];
  const press = async (keys: string) => {
    if (call.turn.ended) return;
    await call.press(keys);
    said.push(call.heardText());
  };
  const inMenu = () => call.gatherAction().includes('/twilio/voice/menu');
  if (kind === 'activation') {
    const { provisionalId } = await register(app);
    await press('1');
    if (!inMenu()) await press(`${provisionalId}#`);
    if (call.gatherAction().includes('/activation/pay')) await press('1');
  } else {
    await press(kind === 'renewal' ? '4' : kind === 'code_purchase' ? '2' : '3');
    if (!inMenu()) {
      await press(`${member.formalId}#`);
      await press(`${PIN}#`);
      if (kind === 'code_purchase' && call.gatherAction().includes('/pay/amount')) await press('1');
      if (kind === 'payment_approval' && call.gatherAction().includes('/approve/number')) await press(`${request.number}#`);
      if (/\/(renew|pay|approve)\/(confirm|decision)/.test(call.gatherAction())) await press('1');
    }
  }
  said.push(await payIfAsked(call).then((h) => (h === said.at(-1) ? '' : h)));
  await call.hangUp();
  return said.join(' ');
}

describe('no word about money promises what the configuration does not do (every kind, method and number)', () => {
  for (const [name, env] of Object.entries(CONFIGS)) {
    it(`${name}: each price says how it is really collected on the number called, or which number sells it`, async function () {
      this.timeout(300_000);
      const operator = env.CHARGE_METHOD === 'carrier-billing' ? await startCarrierStandIn() : undefined;
      const app = await startTestApp({ ...env, ...operator?.env, MONTHLY_SPENDING_CAP: '1000000' });
      try {
        // A member and a 500-yen payment request to walk renewal, codes and approvals with.
        const { provisionalId, password } = await register(app);
        const first = new TestCall(app, undefined, NUMBERS.fee);
        await first.dial();
        await first.press('1');
        await first.press(`${provisionalId}#`);
        if (first.gatherAction().includes('/activation/pay')) await first.press('1');
        await payIfAsked(first);
        const formalId = first.heardNumbers().find((n) => n.length === 9) ?? spokenNumbers(first.last.verbs)[0]!;
        await first.hangUp();
        const login = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formalId, password }) });
        const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
        await fetch(`${app.url}/api/me/pin`, { method: 'PUT', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ pin: PIN }) });
        const shop = await createMerchant(app, 'Words Shop');
        const newRequest = async () => {
          const made = await jsonRequest(app, 'POST', '/api/merchant/payment-requests', { amount: 500, description: 'Tea' }, merchantAuth(shop, { 'Idempotency-Key': randomBytes(8).toString('hex') }));
          expect(made.status, JSON.stringify(made.body)).to.equal(201);
          return made.body as { number: string };
        };

        const failures: string[] = [];
        const outcomes = { sold: 0, refused: 0 };
        for (const to of Object.values(NUMBERS)) {
          const number = premiumNumberOf(app.config, to);
          for (const kind of KINDS) {
            const method = methodFor(app.config, kind);
            const price = kind === 'activation' || kind === 'renewal' ? app.config.activationCharge : 500;
            const before = (await readLedger(app.redis, provisionalId)).length;
            const heard = await walk(app, kind, to, { formalId }, await newRequest());
            const sold = kind === 'activation' ? heard.includes('正式IDは') : (await readLedger(app.redis, provisionalId)).length > before;
            const where = `${kind} on ${to} (${number ? `${number.amount}/${number.per}` : 'not premium-rate'}) by ${method}`;
            const sellableHere = method !== 'premium-rate' || (number?.per === 'call' && number.amount === price);
            outcomes[sold ? 'sold' : 'refused']++;
            if (sellableHere !== sold) failures.push(`${where}: ${sold ? 'sold' : 'not sold'}; heard: ${heard}`);
            for (const [other, words] of Object.entries(BY_METHOD)) {
              for (const w of words) if (other !== method && heard.includes(w)) failures.push(`${where}: says "${w}" (${other}); heard: ${heard}`);
            }
            if (sold && !BY_METHOD[method].some((w) => heard.includes(w))) failures.push(`${where}: sold without saying how it is collected; heard: ${heard}`);
            const consented = kind !== 'activation' || method === 'card';
            if (sold && consented && !BEFORE[method].some((w) => heard.includes(w))) failures.push(`${where}: agreed to without hearing first how it is collected; heard: ${heard}`);
            if (!sold && method === 'premium-rate' && !(heard.includes(SAID.elsewhere) || heard.includes(SAID.nowhere) || heard.includes(SAID.codeNumbers))) {
              failures.push(`${where}: not sold here, and not told which number sells it; heard: ${heard}`);
            }
            // The carrier bills every call to a premium-rate number: "not charged" (nor "a demo: nothing is charged") is never true there.
            for (const w of NOTHING_CHARGED) if (number && heard.includes(w)) failures.push(`${where}: says "${w}" on a premium-rate number; heard: ${heard}`);
            // A demo taken there is free, but the call is not: the caller has heard what the call itself costs.
            const callPrice = number?.per === 'call' ? [SAID.callBilled, SAID.demoCallBilled] : [SAID.callBilledPerMinute, SAID.demoCallBilledPerMinute];
            if (number && sold && method === 'none' && !callPrice.some((w) => heard.includes(w))) failures.push(`${where}: sold on a premium-rate number without saying what the call itself costs; heard: ${heard}`);
          }
        }
        expect(failures, failures.slice(0, 3).join('\n')).to.deep.equal([]);
        // Every walk reached a price: on premium-rate some were sold and some sent to another number.
        expect(outcomes.sold).to.be.greaterThan(0);
        if (Object.values(env).includes('premium-rate')) expect(outcomes.refused).to.be.greaterThan(0);
      } finally {
        await app.close();
        await operator?.close();
      }
    });
  }
});

/**
 * The development default (a fresh clone): the activation fee is premium-rate on SERVICE_PHONE_NUMBER
 * (300 yen a call), and codes and approvals are a demo sold on that same number. The demo costs
 * nothing itself, but the carrier bills the call its tariff all the same: "nothing will really be
 * charged" would be false there, and the caller must know the call's price before pressing 1.
 */
describe('a demo on a number that bills every call (the development default)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const WORDS = {
    'ja-JP': { free: 'デモのため無料', call: 'この通話の料金300円は、電話会社から請求されます。', nothing: '実際には請求されません', buy: '購入は1' },
    'en-US': { free: 'This demo is free', call: 'this call costs 300 yen on your phone bill.', nothing: 'nothing will really be charged', buy: 'To buy, press 1' },
  } as const;

  /** A member on a line of their own, at the price of a 500-yen demo code on `to`; what they heard there. */
  async function atTheCodePrice(locale: 'ja-JP' | 'en-US', to: string) {
    const line = uniqueCallerNumber();
    const member = await activeMember(app, { pin: PIN, from: line, locale });
    const call = new TestCall(app, line, to);
    await call.dial();
    await call.press('2');
    if (!call.gatherAction().includes('/twilio/voice/menu')) {
      await call.press(`${member.formalId}#`);
      await call.press(`${PIN}#`);
    }
    await call.press('1');
    return { call, member, heard: call.heardText() };
  }

  for (const locale of ['ja-JP', 'en-US'] as const) {
    const w = WORDS[locale];
    it(`on a premium-rate number, a demo code's words say the code is free and the call itself is still billed its tariff, before 1 buys it (${locale})`, async () => {
      expect(premiumNumberOf(app.config, NUMBERS.fee), 'the service number bills 300/call by default').to.deep.include({ amount: 300, per: 'call' });
      expect(methodFor(app.config, 'code_purchase')).to.equal('none');
      const { call, member, heard } = await atTheCodePrice(locale, NUMBERS.fee);
      expect(heard).to.include(w.buy);
      expect(heard).to.include(w.free);
      expect(heard).to.include(w.call);
      expect(heard.indexOf(w.call)).to.be.below(heard.indexOf(w.buy));
      expect(heard).not.to.include(w.nothing);
      await call.press('1');
      expect(call.heardNumbers().some((n) => n.length === 16), call.heardText()).to.equal(true);
      await call.hangUp();
      const ledger = await readLedger(app.redis, member.provisionalId);
      expect(ledger.filter((e) => e.kind === 'code_purchase').map((e) => e.method)).to.deep.equal(['none']);
    });

    it(`on a number that bills nothing, a demo code's words stay "nothing will really be charged" (${locale})`, async () => {
      const { call, heard } = await atTheCodePrice(locale, NUMBERS.plain);
      expect(heard).to.include(w.nothing);
      expect(heard).not.to.include(w.call);
      await call.hangUp();
    });
  }
});
