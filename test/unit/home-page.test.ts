import { expect } from 'chai';
import { buildConfig } from '../../src/config.ts';
import { homePage } from '../../src/web/home.ts';

const methods = (env: Record<string, string>) => buildConfig(env).charging.methods;

describe('the home page', () => {
  it('says how each fee is really collected under the charge methods in force, in both languages', () => {
    const all = (method: string) => methods({ CHARGE_METHOD: method, CHARGE_METHOD_APPROVALS: 'premium-rate', CHARGE_METHOD_CODES: method === 'premium-rate' ? 'none' : method });
    expect(homePage('en', false, methods({ CHARGE_METHOD: 'card' }))).to.include('by card during the call').and.not.include('phone carrier');
    expect(homePage('en', false, methods({ CHARGE_METHOD: 'none' }))).to.include('nothing is charged').and.not.include('billed');
    expect(homePage('ja', false, methods({ CHARGE_METHOD: 'card' }))).to.include('カードでお支払い');
    expect(homePage('ja', false, methods({ CHARGE_METHOD: 'none' }))).to.include('料金は一切かかりません');
    // Development's default: the activation fee is the call; codes and requests are a demo, and the page says both.
    const mixed = homePage('en', false, methods({}));
    expect(mixed).to.include('billed by your phone carrier').and.to.include('Buying payment codes is a demo').and.to.include('payment requests is a demo');
    expect(homePage('ja', false, methods({}))).to.include('回線にご請求').and.to.include('決済コードの購入はデモです');
    expect(homePage('en', false, methods({ CHARGE_METHOD_CODES: 'card', CHARGE_METHOD_APPROVALS: 'card' }))).to.include('Payment codes are paid by card during the call');
    expect(all).to.be.a('function');
  });
});
