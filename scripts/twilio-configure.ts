// npm run twilio:configure: points SERVICE_PHONE_NUMBER's voice URL, fallback URL and status
// callback at PUBLIC_BASE_URL through Twilio's REST API (IncomingPhoneNumbers: list by
// PhoneNumber, then update). --dry-run prints the plan offline (no credentials, no network);
// --compare asks Twilio what would change and changes nothing.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import twilio from 'twilio';
import { ConfigError, loadConfig, PLACEHOLDER_SERVICE_PHONE_NUMBER, processEnv } from '../src/config.ts';
import { PATHS, STATUS_CALLBACK_PATH } from '../src/voice/paths.ts';

const USAGE = `usage: npm run twilio:configure -- [options]

  --dry-run            print the plan (the settings the number will get) and what a real run
                       still needs; offline: no credentials needed, nothing sent anywhere
  --compare            ask Twilio what would change (needs the credentials); change nothing
  --fallback-url URL   where Twilio goes when the voice URL fails (default: PUBLIC_BASE_URL +
                       /twilio/voice/fallback, which answers with a spoken apology; a URL on
                       another host, such as a TwiML Bin, also works when the app is down)
  --api-base-url URL   send the REST calls here instead of https://api.twilio.com (a stand-in
                       for tests; the path and Basic auth are as Twilio's)
  --help

A real run (or --compare) needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SERVICE_PHONE_NUMBER (E.164)
and PUBLIC_BASE_URL.`;

/** The offline plan: what the number will be set to, and what a real run still needs. */
export function planLines(phoneNumber: string, accountSid: string | undefined, settings: VoiceSettings, missing: string[]): string[] {
  return [
    `plan for ${phoneNumber || '(SERVICE_PHONE_NUMBER not set)'} on account ${accountSid || '(TWILIO_ACCOUNT_SID not set)'} (--dry-run: nothing is sent to Twilio)`,
    ...(Object.keys(settings) as (keyof VoiceSettings)[]).map((field) => `  ${field}: ${settings[field]}`),
    missing.length ? `a real run still needs: ${missing.join(', ')}` : 'ready: run without --dry-run to apply it (--compare shows what would change)',
  ];
}

/** The number's settings this app needs (names as the REST API's update takes them). */
export interface VoiceSettings {
  voiceUrl: string;
  voiceMethod: 'POST';
  voiceFallbackUrl: string;
  voiceFallbackMethod: 'POST';
  statusCallback: string;
  statusCallbackMethod: 'POST';
}

export function wantedSettings(publicBaseUrl: string, fallbackUrl?: string): VoiceSettings {
  return {
    voiceUrl: `${publicBaseUrl}${PATHS.pickUp}`,
    voiceMethod: 'POST',
    voiceFallbackUrl: fallbackUrl ?? `${publicBaseUrl}${PATHS.pickUp}/fallback`,
    voiceFallbackMethod: 'POST',
    statusCallback: `${publicBaseUrl}${STATUS_CALLBACK_PATH}`,
    statusCallbackMethod: 'POST',
  };
}

export interface ConfigureOptions {
  accountSid: string;
  authToken: string;
  phoneNumber: string;
  publicBaseUrl: string;
  dryRun: boolean;
  fallbackUrl?: string;
  apiBaseUrl?: string;
  print: (line: string) => void;
}

export interface ConfigureResult {
  sid: string;
  changes: { field: keyof VoiceSettings; from: string; to: string }[];
  updated: boolean;
}

/**
 * twilio-node's own request client, with every request's origin swapped for `apiBaseUrl`
 * (the client builds https://api.twilio.com/2010-04-01/... URLs; paths and auth stay the same).
 */
function redirectedHttpClient(apiBaseUrl: string) {
  const inner = new twilio.RequestClient();
  const base = new URL(apiBaseUrl);
  return {
    request(opts: Parameters<typeof inner.request>[0]) {
      const uri = new URL(opts.uri);
      uri.protocol = base.protocol;
      uri.host = base.host;
      return inner.request({ ...opts, uri: uri.href });
    },
  };
}

export async function configureNumber(options: ConfigureOptions): Promise<ConfigureResult> {
  const client = twilio(options.accountSid, options.authToken, options.apiBaseUrl ? { httpClient: redirectedHttpClient(options.apiBaseUrl) as never } : {});
  const [number, ...others] = await client.incomingPhoneNumbers.list({ phoneNumber: options.phoneNumber, limit: 2 });
  if (!number) throw new Error(`${options.phoneNumber} is not a number on account ${options.accountSid}`);
  if (others.length) throw new Error(`more than one number matches ${options.phoneNumber}`);
  const wanted = wantedSettings(options.publicBaseUrl, options.fallbackUrl);
  const changes = (Object.keys(wanted) as (keyof VoiceSettings)[])
    .map((field) => ({ field, from: String(number[field] ?? ''), to: wanted[field] }))
    .filter((c) => (c.field.endsWith('Method') ? c.from.toUpperCase() !== c.to : c.from !== c.to));
  options.print(`${number.phoneNumber} (${number.sid})`);
  for (const c of changes) options.print(`  ${c.field}: ${c.from || '(none)'} -> ${c.to}`);
  if (!changes.length) {
    options.print('  already points at this app: nothing to change');
    return { sid: number.sid, changes, updated: false };
  }
  if (options.dryRun) {
    options.print('  --compare: nothing changed');
    return { sid: number.sid, changes, updated: false };
  }
  await client.incomingPhoneNumbers(number.sid).update(Object.fromEntries(changes.map((c) => [c.field, c.to])));
  options.print('  updated');
  return { sid: number.sid, changes, updated: true };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { 'dry-run': { type: 'boolean' }, compare: { type: 'boolean' }, 'fallback-url': { type: 'string' }, 'api-base-url': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const compact = (number: string) => number.replace(/[\s()-]/g, '');
  const phoneNumber = compact(config.servicePhoneNumber);
  // config fills in a development token when TWILIO_AUTH_TOKEN is empty (fine for the simulator,
  // useless against api.twilio.com), so only the environment says whether a real one was given.
  const authTokenSet = Boolean(processEnv().TWILIO_AUTH_TOKEN?.trim());
  const missing = [
    !config.twilio.accountSid && 'TWILIO_ACCOUNT_SID',
    !authTokenSet && 'TWILIO_AUTH_TOKEN',
    (!/^\+\d{6,15}$/.test(phoneNumber) || phoneNumber === compact(PLACEHOLDER_SERVICE_PHONE_NUMBER)) &&
      `SERVICE_PHONE_NUMBER (your Twilio number in E.164, e.g. +815012345678; not the placeholder ${PLACEHOLDER_SERVICE_PHONE_NUMBER})`,
    !config.publicBaseUrl.startsWith('https://') && !values['api-base-url'] && 'PUBLIC_BASE_URL (https://…, where Twilio reaches the app)',
  ].filter(Boolean);
  if (values['dry-run']) {
    for (const line of planLines(phoneNumber, config.twilio.accountSid, wantedSettings(config.publicBaseUrl, values['fallback-url']), missing as string[])) console.log(line);
    return 0;
  }
  if (missing.length) {
    console.error(`twilio:configure needs ${missing.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  try {
    await configureNumber({
      accountSid: config.twilio.accountSid!,
      authToken: config.twilio.authToken,
      phoneNumber,
      publicBaseUrl: config.publicBaseUrl,
      dryRun: Boolean(values.compare),
      fallbackUrl: values['fallback-url'],
      apiBaseUrl: values['api-base-url'],
      print: (line) => console.log(line),
    });
    return 0;
  } catch (error) {
    console.error(`twilio:configure failed: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
