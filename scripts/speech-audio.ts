// npm run speech:audio: the chain on real audio, in English, where Debian's pocketsphinx is
// installed: espeak-ng says a number → sox makes it 16 kHz mono → pocketsphinx writes what it
// heard → dialpass's normaliser (src/speech/spoken-number.ts) turns it into digits. It shows how
// a recogniser's transcript comes back, not Twilio's accuracy (Twilio's providers are far better
// than pocketsphinx on a synthetic voice). Where the packages are absent it says so and exits 0:
// it is a demonstration, never part of CI.
//   apt-get install pocketsphinx pocketsphinx-en-us espeak-ng sox
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spokenDigits } from '../src/speech/spoken-number.ts';

const TOOLS = ['espeak-ng', 'sox', 'pocketsphinx_continuous'] as const;
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/**
 * What the recogniser expects, as Twilio's hints and numbers_and_commands model narrow a real one:
 * a JSGF grammar of digit words (pocketsphinx's general language model hears almost nothing useful
 * in a synthetic voice).
 */
const DIGIT_GRAMMAR = '#JSGF V1.0;\ngrammar digits;\npublic <number> = ( zero | oh | one | two | three | four | five | six | seven | eight | nine | double | triple )+ ;\n';

/** Numbers as a caller reads them: digit by digit, with "oh" and "double" as people say them. */
const SAMPLES: [string, string][] = [
  ['eight five oh, four three one three, nine nine five seven', '85043139957'],
  ['six five two', '652'],
  ['one two three four', '1234'],
  ['double five, seven', '557'],
  ['nine eight seven six five four three two one', '987654321'],
];

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} failed: ${(result.stderr || '').trim().split('\n').pop()}`);
  return result.stdout;
}

function main(): number {
  const missing = TOOLS.filter((tool) => !has(tool));
  if (missing.length) {
    console.log(`speech:audio: skipped — ${missing.join(', ')} not installed. On Debian: apt-get install pocketsphinx pocketsphinx-en-us espeak-ng sox`);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'speech-audio-'));
  const grammar = join(dir, 'digits.gram');
  writeFileSync(grammar, DIGIT_GRAMMAR);
  let exact = 0;
  let wrong = 0;
  try {
    for (const [words, digits] of SAMPLES) {
      const raw = join(dir, 'said.wav');
      const wav = join(dir, 'said16k.wav');
      run('espeak-ng', ['-v', 'en-us', '-s', '170', '-w', raw, words]);
      // 16 kHz mono 16-bit, as the en-us model wants; leading silence trimmed, a little padding kept.
      run('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', wav, 'silence', '1', '0.05', '1%', 'pad', '0.3', '0.3']);
      const transcript = run('pocketsphinx_continuous', ['-infile', wav, '-jsgf', grammar, '-logfn', '/dev/null']).trim().replace(/\s+/g, ' ');
      const heard = spokenDigits(transcript, 'en-US');
      const verdict = heard === digits ? 'understood' : heard === undefined ? 'not understood (asked again)' : `READ BACK AS ${heard} (the caller would say no)`;
      if (heard === digits) exact++;
      else if (heard !== undefined) wrong++;
      console.log(`  said "${words}"\n    pocketsphinx: "${transcript}"\n    normaliser:   ${heard ?? '—'}  ${verdict}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`speech:audio: ${exact}/${SAMPLES.length} understood, ${wrong} heard as another number (a read-back catches those).`);
  return 0;
}

process.exit(main());
