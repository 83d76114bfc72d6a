import { expect } from 'chai';
import { buildConfig } from '../../src/config.ts';
import { homePage } from '../../src/web/home.ts';

const config = (env: Record<string, string>) => buildConfig(env);
/** The page's words as a reader gets them (tags dropped, entities as characters). */
const text = (page: string) => page.replace(/<[^>]+>/g, ' ').replace(/&#39;|&#x27;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');

describe('the home page', () => {
  it('says how each fee is really collected under the charge methods in force, in both languages', () => {
    expect(homePage('en', false, config({ CHARGE_METHOD: 'card' }))).to.include('by card during the call').and.not.include('phone carrier');
    expect(homePage('ja', false, config({ CHARGE_METHOD: 'card' }))).to.include('カードでお支払い');
    expect(homePage('en', false, config({ CHARGE_METHOD_CODES: 'card', CHARGE_METHOD_APPROVALS: 'card' }))).to.include('Payment codes are paid by card during the call');
  });

  it('a demo on a number that bills nothing says nothing is charged, in both languages', () => {
    expect(homePage('en', false, config({ CHARGE_METHOD: 'none' }))).to.include('nothing is charged').and.not.include('billed');
    expect(homePage('ja', false, config({ CHARGE_METHOD: 'none' }))).to.include('料金は一切かかりません');
    expect(text(homePage('en', false, config({ CHARGE_METHOD: 'none' })))).not.to.include('That call is your payment');
  });

  it('on a fresh clone, where payment codes and approvals are a demo sold on the service number that bills 300 yen a call, the page says the demo is free but the call is billed its tariff by the phone company', () => {
    const fresh = config({});
    const en = text(homePage('en', false, fresh));
    expect(en).to.include('billed by your phone carrier');
    expect(en).to.include("Payment codes and approving merchants' payment requests are a demo: they cost nothing, but a call to the number is billed its tariff (¥300 a call) by your phone company.");
    expect(en).not.to.match(/nothing is charged/i);
    const ja = text(homePage('ja', false, fresh));
    expect(ja).to.include('回線にご請求');
    expect(ja).to.include('決済コードの購入と加盟店の支払いリクエストの承認はデモのため、その代金はかかりません。ただし、番号への通話には、電話会社から通話料金（1回の通話につき￥300）が請求されます。');
    expect(ja).not.to.include('料金はかかりません');
    // Only codes a demo: said for codes alone.
    expect(text(homePage('en', false, config({ CHARGE_METHOD_APPROVALS: 'card' })))).to.include('Payment codes are a demo: the codes cost nothing, but a call to the number is billed its tariff (¥300 a call) by your phone company.');
  });

  it('everything a demo on a premium-rate service number (per minute): registration is free, the call is billed by the minute', () => {
    const perMinute = config({ CHARGE_METHOD: 'none', SERVICE_PHONE_NUMBER: '+815000001234', PREMIUM_RATE_NUMBERS: '+815000001234=20/minute' });
    const en = text(homePage('en', false, perMinute));
    expect(en).to.include('This is a demo: registration costs nothing, but a call to the number is billed its tariff (¥20 a minute) by your phone company.');
    expect(en).not.to.include('nothing is charged');
    expect(text(homePage('ja', false, perMinute))).to.include('1分ごとに￥20');
  });
});
