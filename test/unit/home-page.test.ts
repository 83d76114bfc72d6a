import { expect } from 'chai';
import { homePage } from '../../src/web/home.ts';

describe('the home page', () => {
  it('says how the fee is really collected under the CHARGE_METHOD in force, in both languages', () => {
    expect(homePage('en', false, 'premium-rate')).to.include('billed by your phone carrier').and.not.include('by card');
    expect(homePage('en', false, 'card')).to.include('by card during the call').and.not.include('phone carrier');
    expect(homePage('en', false, 'none')).to.include('nothing is charged').and.not.include('billed');
    expect(homePage('ja', false, 'premium-rate')).to.include('回線にご請求');
    expect(homePage('ja', false, 'card')).to.include('カードでお支払い');
    expect(homePage('ja', false, 'none')).to.include('料金は一切かかりません');
  });
});
