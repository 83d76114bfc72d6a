import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callUrl, initialCallState, parseCallState } from '../../src/voice/call-state.ts';
import { DEFAULT_FLOWS_DIR, loadVoiceFlows, VoiceFlowError } from '../../src/voice/prompts.ts';
import { renderTwiml } from '../../src/voice/twiml.ts';
import { parseTwiml, spokenNumbers, textOf } from '../support/twiml.ts';

const voices = { 'ja-JP': { voice: 'Polly.Mizuki', language: 'ja-JP' }, 'en-US': { voice: 'Polly.Joanna', language: 'en-US' } } as const;

function copyOfFlows(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flows-'));
  cpSync(DEFAULT_FLOWS_DIR, dir, { recursive: true });
  return dir;
}

describe('voice prompts and TwiML', () => {
  it('every shipped flow file is valid and has every prompt in both languages', () => {
    const flows = loadVoiceFlows();
    expect(flows.say('common', 'goodbye', 'en-US')).to.deep.equal({ locale: 'en-US', parts: [{ text: 'Thank you for calling. Goodbye.' }] });
    expect(readdirSync(DEFAULT_FLOWS_DIR).filter((f) => f.endsWith('.json')).length).to.be.greaterThan(4);
  });

  it('a prompt missing a language stops start-up with a message naming the file and prompt', () => {
    const dir = copyOfFlows();
    const file = join(dir, 'activation.json');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    delete data.prompts.mistyped['en-US'];
    writeFileSync(file, JSON.stringify(data));
    expect(() => loadVoiceFlows(dir)).to.throw(VoiceFlowError, /activation\.json.*mistyped/);
  });

  it('a misspelt placeholder is caught at start', () => {
    const dir = copyOfFlows();
    const file = join(dir, 'activation.json');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data.prompts.activated['en-US'] = 'Your formal ID is {formalID}.';
    writeFileSync(file, JSON.stringify(data));
    expect(() => loadVoiceFlows(dir)).to.throw(VoiceFlowError, /\{formalID\}/);
  });

  it('an operator can reword a prompt without touching code', () => {
    const dir = copyOfFlows();
    const file = join(dir, 'common.json');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data.prompts.goodbye['en-US'] = 'Bye for now.';
    writeFileSync(file, JSON.stringify(data));
    expect(loadVoiceFlows(dir).say('common', 'goodbye', 'en-US')).to.deep.equal({ locale: 'en-US', parts: [{ text: 'Bye for now.' }] });
  });

  it('digits are read one by one in groups, and text is escaped', () => {
    const xml = renderTwiml(
      { locale: 'en-US', verbs: [{ verb: 'say', speech: { locale: 'en-US', parts: [{ text: 'A & B <c> ' }, { digits: '123456789', groupSize: 3 }] } }, { verb: 'hangup' }] },
      voices,
    );
    const verbs = parseTwiml(xml);
    expect(spokenNumbers(verbs)).to.deep.equal(['123456789']);
    expect(textOf(verbs[0]!)).to.include('A & B <c>');
    expect(xml.match(/<say-as interpret-as="digits">/g)).to.have.length(3);
    expect(verbs[1]!.name).to.equal('Hangup');
  });

  it('gather attributes and action URLs are rendered as Twilio expects, each <Say> in the voice of its own language', () => {
    const xml = renderTwiml(
      {
        locale: 'ja-JP',
        verbs: [
          {
            verb: 'gather',
            action: 'https://x/a?l=ja-JP&w=1',
            finishOnKey: '',
            numDigits: 1,
            timeout: 10,
            actionOnEmptyResult: true,
            speech: [
              { locale: 'ja-JP', parts: [{ text: 'こんにちは' }] },
              { locale: 'en-US', parts: [{ text: 'For English, press 9.' }] },
            ],
          },
        ],
      },
      voices,
    );
    const gather = parseTwiml(xml)[0]!;
    expect(gather.attributes).to.include({ action: 'https://x/a?l=ja-JP&w=1', finishOnKey: '', numDigits: '1', timeout: '10', input: 'dtmf', method: 'POST', actionOnEmptyResult: 'true' });
    expect(gather.children[0]!.attributes).to.include({ voice: 'Polly.Mizuki', language: 'ja-JP' });
    expect(gather.children[1]!.attributes).to.include({ voice: 'Polly.Joanna', language: 'en-US' });
  });

  it('call state survives the trip through an action URL, and junk in it falls back to defaults', () => {
    const state = { ...initialCallState('en-US', Date.now()), wrongEntries: 2, silences: 1, menuRepeats: 1, memberId: '12345678901', next: 'renew', premiumPaid: true, keptCard: '4242', extra: { a: '500', o: 'x&y=z #1' } };
    const url = new URL(callUrl('https://x', '/twilio/voice/menu', state));
    const back = parseCallState(Object.fromEntries(url.searchParams), 'ja-JP');
    expect(back).to.deep.equal({ ...state, pendingMemberId: undefined });
    expect(parseCallState({ l: 'xx', w: '-5', m: 'abc' }, 'ja-JP')).to.deep.include({ locale: 'ja-JP', wrongEntries: 0, memberId: undefined });
  });
});
