import { expect } from 'chai';
import { buildConfig } from '../../src/config.ts';
import { initialCallState } from '../../src/voice/call-state.ts';
import { languageWords, understand, type Listens } from '../../src/voice/heard.ts';
import type { VoiceDeps } from '../../src/voice/voice-step.ts';

const deps = { config: buildConfig({}) } as VoiceDeps;
const ja = initialCallState('ja-JP', Date.now());
const en = initialCallState('en-US', Date.now());

const MENU: Listens = { words: (_d, s) => ({ '1': ['activate'], '2': ['buy'], ...languageWords(s.locale) }), number: [3, 4, 4] };
const CONSENT: Listens = { words: () => ({ '1': ['yes', 'buy'], '2': ['no'] }) };
const AMOUNTS: Listens = { words: () => ({ '9': ['merchant'], '0': ['menu'] }), amounts: () => ({ '1': 500, '2': 1000, '3': 3000 }) };
const ID: Listens = { number: [3, 3, 3] };

describe('what a prompt makes of what it heard (src/voice/heard.ts)', () => {
  it('a key said is that key, a word is its key, a number is a number to read back', () => {
    expect(understand(deps, MENU, ja, { result: 'いち', confidence: 0.9 })).to.deep.equal({ key: '1' });
    expect(understand(deps, MENU, ja, { result: '登録' })).to.deep.equal({ key: '1' });
    expect(understand(deps, MENU, ja, { result: 'イングリッシュ' })).to.deep.equal({ key: '9' });
    expect(understand(deps, MENU, en, { result: 'Japanese' })).to.deep.equal({ key: '9' });
    expect(understand(deps, MENU, ja, { result: 'はちごーぜろ よんさんいちさん' })).to.deep.equal({ number: '8504313' });
    expect(understand(deps, ID, en, { result: 'one' })).to.deep.equal({ number: '1' });
    expect(understand(deps, CONSENT, ja, { result: 'はい、お願いします' })).to.deep.equal({ key: '1' });
    expect(understand(deps, CONSENT, en, { result: 'no thanks' })).to.deep.equal({ key: '2' });
    expect(understand(deps, AMOUNTS, ja, { result: '千円' })).to.deep.equal({ key: '2' });
    expect(understand(deps, AMOUNTS, en, { result: 'three thousand yen' })).to.deep.equal({ key: '3' });
  });

  it('nothing is guessed: a word the prompt does not offer, an amount not on the menu, two words, or too little confidence', () => {
    expect(understand(deps, CONSENT, en, { result: 'activate' })).to.deep.equal({ missed: 'not-understood' });
    expect(understand(deps, AMOUNTS, ja, { result: '二千円' })).to.deep.equal({ missed: 'not-understood' });
    expect(understand(deps, CONSENT, en, { result: 'yes no' })).to.deep.equal({ missed: 'not-understood' });
    expect(understand(deps, CONSENT, en, { result: 'six five two' })).to.deep.equal({ missed: 'not-understood' });
    expect(understand(deps, CONSENT, en, { result: 'yes', confidence: 0.2 })).to.deep.equal({ missed: 'low-confidence' });
    // Twilio may leave Confidence out: the words decide, and a number is read back anyway.
    expect(understand(deps, CONSENT, en, { result: 'yes' })).to.deep.equal({ key: '1' });
  });
});
