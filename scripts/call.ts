// npm run call: places a simulated inbound call against a running dialpass (or any Twilio voice
// app), signed like Twilio's, and plays its TwiML in the terminal. See docs/SIMULATOR.md.
import { payConnectorsFor } from './lib/simulator-routers.ts';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config.ts';
import { CallFailure } from '../simulator/call-failure.ts';
import { placeCall, type CallEvent, type CallRecord, type Caller, type KeyRequest } from '../simulator/call.ts';
import { DTMF_KEYS, normalizeKeys } from '../simulator/keys.ts';
import { callTimeline, firstNumberEndsAt, firstNumberHeardAt } from '../simulator/timing.ts';
import { callingNumber, phoneNumber, randomCallerNumber, WITHHELD_FROM } from '../simulator/phone-number.ts';

const USAGE = `usage: npm run call -- [options]

  --url URL          the app's public base URL, signed as Twilio signs it (default: PUBLIC_BASE_URL)
  --connect URL      send the requests here instead, still signed for --url (e.g. the app's own
                     listener when --url is a tunnel that is not running)
  --keys LIST        scripted keys, one comma-separated entry per <Gather> (and per <Pay> field):
                     "1,12345678901#,1"; an empty entry is silence; when the list runs out the
                     caller hangs up. Without it, keys are read from the keyboard.
  --timing           after the call, how long each part took a caller (spoken-time estimate:
                     ja 7.5 morae/s, en 2.5 words/s, 0.5 s a digit and a key; docs/TWILIO-BEHAVIOUR.md)
  --from NUMBER      the calling number (default: a new random mobile number for each call), or
                     a withheld caller ID as Twilio sends it: anonymous, Restricted, unavailable,
                     unknown, private, blocked, or '' (docs/TWILIO-BEHAVIOUR.md)
  --to NUMBER        the number called (default SERVICE_PHONE_NUMBER)
  --speak            read the prompts aloud with espeak-ng, when it is installed
  --transcript FILE  write every request, response and what was heard to FILE (JSON)
  --verbose          print every webhook request and response
  --help`;

const usageError = (message: string): never => {
  console.error(`call: ${message}\n\n${USAGE}`);
  process.exit(2);
};

function options() {
  try {
    return parseArgs({
      options: {
        url: { type: 'string' },
        connect: { type: 'string' },
        keys: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        speak: { type: 'boolean', default: false },
        transcript: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        timing: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    return usageError((error as Error).message);
  }
}

function describeRequest(request: KeyRequest): string {
  if (request.purpose !== 'gather') return `${request.purpose.replace(/-/g, ' ')}, then #`;
  const parts: string[] = [];
  if (request.numDigits) parts.push(`${request.numDigits} key${request.numDigits > 1 ? 's' : ''}`);
  if (request.finishOnKey) parts.push(`ends with ${request.finishOnKey}`);
  parts.push(`timeout ${request.timeout}s`);
  return parts.join(', ');
}

/** Keys from --keys, one entry per request; null (hang up) when they run out. */
function scriptedCaller(list: string): Caller {
  const entries = list.split(',').map(normalizeKeys);
  const bad = entries.find((e) => !DTMF_KEYS.test(e));
  if (bad !== undefined) usageError(`--keys entry "${bad}": only 0-9, * and # can be keyed`);
  return {
    async keys(request) {
      const next = entries.shift();
      console.log(next === undefined ? `  ⌨  (${describeRequest(request)}) — no keys left: the caller hangs up` : `  ⌨  (${describeRequest(request)}) ${next || '(silence)'}`);
      return next ?? null;
    },
  };
}

/** Keys typed at the keyboard; Enter alone is silence, Ctrl-D or Ctrl-C hangs up. */
function keyboardCaller(): Caller & { close(): void } {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  let hungUp = false;
  const lines: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  rl.on('line', (line) => (waiting.length ? waiting.shift()!(line) : lines.push(line)));
  const hangUp = () => {
    hungUp = true;
    for (const resolve of waiting.splice(0)) resolve(null);
  };
  rl.on('close', hangUp);
  rl.on('SIGINT', () => rl.close());
  const nextLine = () => (lines.length ? Promise.resolve(lines.shift()!) : hungUp ? Promise.resolve(null) : new Promise<string | null>((r) => waiting.push(r)));
  return {
    async keys(request) {
      for (;;) {
        process.stdout.write(`  ⌨  keys (${describeRequest(request)}; Enter alone = silence, Ctrl-D = hang up): `);
        const line = await nextLine();
        if (line === null) {
          process.stdout.write('\n  ☎  you hang up\n');
          return null;
        }
        if (!process.stdin.isTTY) process.stdout.write(`${line}\n`);
        const keys = normalizeKeys(line);
        if (DTMF_KEYS.test(keys)) return keys;
        console.log('     only 0-9, * and # can be keyed; try again.');
      }
    },
    close: () => rl.close(),
  };
}

const ESPEAK_VOICES: Record<string, string> = { 'ja-JP': 'ja', 'en-US': 'en-us', 'en-GB': 'en-gb' };

function speaker(enabled: boolean) {
  const available = enabled && spawnSync('sh', ['-c', 'command -v espeak-ng'], { encoding: 'utf8' }).status === 0;
  if (enabled && !available) console.log('call: espeak-ng is not installed (Debian: apt-get install espeak-ng); prompts are printed only.');
  let working = available;
  return async (text: string, language?: string) => {
    if (!working) return;
    const voice = ESPEAK_VOICES[language ?? ''] ?? language?.slice(0, 2) ?? 'en';
    const problem = await new Promise<string | undefined>((resolve) => {
      const child = spawn('espeak-ng', ['-v', voice, text], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', (error) => resolve(error.message));
      // espeak-ng exits 0 even when it has no sound device; its stderr tells.
      child.on('close', (code) => resolve(code !== 0 || /error/i.test(stderr) ? stderr.trim().split('\n').pop() || `exit ${code}` : undefined));
    });
    // No sound device (a server, a container): say so once instead of failing every prompt.
    if (problem) {
      working = false;
      console.log(`call: espeak-ng could not play sound (${problem}); prompts are printed only.`);
    }
  };
}

function printer(verbose: boolean, speak: (text: string, language?: string) => Promise<void>) {
  return async (event: CallEvent) => {
    switch (event.type) {
      case 'request':
        if (verbose) console.log(`  → ${event.method} ${event.url}\n    ${new URLSearchParams(event.params).toString()}`);
        break;
      case 'response':
        if (verbose) console.log(`  ← ${event.status} ${event.contentType}\n    ${event.body.replace(/\n/g, '\n    ')}`);
        break;
      case 'say': {
        const who = [event.language, event.voice].filter(Boolean).join(', ');
        const loop = event.loop === 1 ? '' : event.loop === 0 ? ' (repeats until hang-up)' : ` (×${event.loop})`;
        console.log(`  🔊 ${who ? `[${who}] ` : ''}${event.text}${loop}`);
        await speak(event.text, event.language);
        break;
      }
      case 'play':
        console.log(`  ♪  ${event.digits ? `tones ${event.digits}` : `plays ${event.url}`}${event.loop === 1 ? '' : ` (×${event.loop || '∞'})`}`);
        break;
      case 'pause':
        console.log(`  …  pause ${event.seconds}s`);
        break;
      case 'keys':
        if (event.ignored) console.log(`     (keys after the entry ended are dropped: ${event.ignored})`);
        break;
      case 'redirect':
        console.log(`  ↪  redirect ${event.method} ${event.url}`);
        break;
      case 'pay-result':
        console.log(`  💳 payment result: ${event.result}`);
        break;
      case 'ended':
        console.log(`  ☎  call ended (${event.by}): ${event.callStatus}, ${event.duration}s`);
        break;
    }
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url.replace(/\/+$/, '')}/healthz`, { signal: AbortSignal.timeout(3000) });
    return true;
  } catch {
    return false;
  }
}

function printTiming(events: CallEvent[]) {
  const timeline = callTimeline(events);
  console.log('\n⏱  what the caller lived through (estimate):');
  for (const entry of timeline) console.log(`  ${entry.at.toFixed(1).padStart(6)} s  ${entry.kind === 'say' ? '🔊' : entry.kind === 'keys' ? '⌨ ' : '… '} ${entry.text}`);
  const milestones: [string, number | undefined][] = [
    ['first ID or code digit heard', firstNumberHeardAt(timeline, 9)],
    ['first 16-digit code fully heard', firstNumberEndsAt(timeline, 16)],
  ];
  const end = timeline.at(-1);
  milestones.push(['call over', end ? end.at + end.seconds : 0]);
  for (const [label, at] of milestones) if (at !== undefined) console.log(`  ${label}: ${at.toFixed(1)} s`);
}

async function main(): Promise<number> {
  const args = options();
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const baseUrl = (args.url ?? config.publicBaseUrl).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(baseUrl)) usageError(`--url "${baseUrl}" is not an http(s) URL`);
  if (args.connect && !/^https?:\/\/[^/]+/.test(args.connect)) usageError(`--connect "${args.connect}" is not an http(s) URL`);
  // Without --url, the call goes to the app that `npm start` runs with the same .env: its own
  // listener on PORT, still signed for PUBLIC_BASE_URL (which may be a tunnel that is not up).
  const connect = args.connect ?? (args.url ? undefined : `http://127.0.0.1:${config.port}`);
  if (connect && !(await answers(connect))) {
    console.error(`call: no app answers at ${connect} (start it with npm start, or give --url / --connect)`);
    return 1;
  }
  const from = args.from === undefined ? randomCallerNumber() : (callingNumber(args.from) ?? usageError(`--from "${args.from}" is not a phone number (nor a withheld caller ID: ${WITHHELD_FROM.join(', ')}, or '')`));
  const to = phoneNumber(args.to ?? config.servicePhoneNumber) ?? usageError(`--to "${args.to}" is not a phone number`);

  const keyboard = args.keys === undefined ? keyboardCaller() : undefined;
  const caller = keyboard ?? scriptedCaller(args.keys!);
  let record: CallRecord | undefined;
  const events: CallEvent[] = [];
  const show = printer(args.verbose, speaker(args.speak));
  console.log(`📞 calling ${to} from ${from}: POST ${baseUrl}/twilio/voice${connect ? ` (via ${connect})` : ''}`);
  let failure: CallFailure | undefined;
  try {
    record = await placeCall({ baseUrl, connectTo: connect, authToken: config.twilio.authToken, from, to, payConnectors: payConnectorsFor(config) }, caller, async (event) => {
      events.push(event);
      await show(event);
    });
  } catch (error) {
    if (!(error instanceof CallFailure)) throw error;
    failure = error;
  } finally {
    keyboard?.close();
  }
  if (args.transcript) {
    const transcript = record ?? { url: `${baseUrl}/twilio/voice`, from, to, events, error: failure && { kind: failure.kind, message: failure.message } };
    writeFileSync(args.transcript, `${JSON.stringify(transcript, null, 2)}\n`);
  }
  if (args.timing) printTiming(events);
  if (failure) {
    console.error(`call: ${failure.message}`);
    if (failure.kind === 'http' && / answered 403/.test(failure.message)) {
      console.error(`call: the app refused the signature: it checks against its PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN; call with --url <its PUBLIC_BASE_URL> and the same token.`);
    }
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof ConfigError ? `call: ${error.message}` : error);
    process.exit(1);
  },
);
