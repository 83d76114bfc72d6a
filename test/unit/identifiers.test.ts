import { expect } from 'chai';
import { dammCheckDigit, hasValidCheckDigit } from '../../src/identifiers/damm.ts';
import { formalIds, generatePassword, paymentCodes, provisionalIds } from '../../src/identifiers/ids.ts';

describe('identifiers', () => {
  it('the Damm check digit catches every single-digit error in a sample of IDs', () => {
    for (let n = 0; n < 200; n++) {
      const id = provisionalIds.generate();
      for (let position = 0; position < id.length; position++) {
        for (let digit = 0; digit < 10; digit++) {
          if (String(digit) === id[position]) continue;
          const typo = id.slice(0, position) + digit + id.slice(position + 1);
          expect(hasValidCheckDigit(typo), `${id} -> ${typo}`).to.equal(false);
        }
      }
    }
  });

  it('the Damm check digit catches every adjacent swap of different digits', () => {
    for (let n = 0; n < 500; n++) {
      const id = formalIds.generate();
      for (let i = 0; i < id.length - 1; i++) {
        if (id[i] === id[i + 1]) continue;
        const swapped = id.slice(0, i) + id[i + 1] + id[i] + id.slice(i + 2);
        expect(hasValidCheckDigit(swapped), `${id} -> ${swapped}`).to.equal(false);
      }
    }
  });

  it('known Damm value: 572 gets check digit 4', () => {
    expect(dammCheckDigit('572')).to.equal('4');
    expect(hasValidCheckDigit('5724')).to.equal(true);
  });

  it('identifiers have the contract lengths and valid check digits', () => {
    expect(provisionalIds.generate()).to.match(/^\d{11}$/);
    expect(formalIds.generate()).to.match(/^\d{9}$/);
    expect(paymentCodes.generate()).to.match(/^\d{16}$/);
    for (const kind of [provisionalIds, formalIds, paymentCodes]) expect(kind.check(kind.generate())).to.equal('ok');
  });

  it('check() tells a wrong length from a mistyped digit', () => {
    const id = provisionalIds.generate();
    expect(provisionalIds.check(id.slice(1))).to.equal('malformed');
    expect(provisionalIds.check(`${id}*`)).to.equal('malformed');
    const typo = id.slice(0, -1) + String((Number(id.at(-1)) + 1) % 10);
    expect(provisionalIds.check(typo)).to.equal('mistyped');
  });

  it('passwords are 14 characters from an alphabet without look-alikes', () => {
    for (let i = 0; i < 100; i++) expect(generatePassword()).to.match(/^[A-HJ-NP-Za-km-z2-9]{14}$/);
  });
});
