import { expect } from 'chai';
import { collectKeys, normalizeKeys } from '../../simulator/keys.ts';

describe('keys pressed in a <Gather>, as Twilio counts them', () => {
  it('the finish key ends the entry and is not part of Digits', () => {
    expect(collectKeys('123#45', { finishOnKey: '#' })).to.deep.equal({ digits: '123', finishedOnKey: '#', ended: 'finish-key', ignored: '45' });
  });

  it('reaching numDigits ends the entry; later keys are dropped', () => {
    expect(collectKeys('1#', { numDigits: 1, finishOnKey: '#' })).to.deep.equal({ digits: '1', finishedOnKey: '', ended: 'num-digits', ignored: '#' });
  });

  it('keys without a finish key are sent when the timeout passes', () => {
    expect(collectKeys('42', { finishOnKey: '#' })).to.include({ digits: '42', ended: 'timeout' });
  });

  it('no keys is silence; the finish key before any digit ends nothing, so the caller waits out the timeout', () => {
    expect(collectKeys('', { finishOnKey: '#' })).to.include({ digits: '', ended: 'silence' });
    expect(collectKeys('#', { finishOnKey: '#' })).to.deep.equal({ digits: '', finishedOnKey: '', ended: 'silence', ignored: '', unheeded: 1 });
  });

  it('digits keyed after an unheeded finish key are one entry, ended by the next finish key', () => {
    expect(collectKeys('#123#', { finishOnKey: '#' })).to.deep.equal({ digits: '123', finishedOnKey: '#', ended: 'finish-key', ignored: '', unheeded: 1 });
  });

  it('with no finish key, # is an ordinary key', () => {
    expect(collectKeys('1#2', { finishOnKey: '' })).to.include({ digits: '1#2', ended: 'timeout' });
  });

  it('spaces and dashes typed for readability are not keys', () => {
    expect(normalizeKeys(' 123-456 789# ')).to.equal('123456789#');
  });
});
