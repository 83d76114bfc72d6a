import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { DEFAULT_SPEECH_HINTS } from './speech/vocabulary.ts';

export const LOCALES = ['ja-JP', 'en-US'] as const;

/**
 * How members really pay (docs/CHARGING.md): a premium-rate carrier bills the call, a card
 * through Twilio <Pay>, the mobile operator bills the calling line through the CAMARA Carrier
 * Billing API, or nothing (demo).
 */
export const CHARGE_METHODS = ['premium-rate', 'card', 'carrier-billing', 'none'] as const;
export type ChargeMethod = (typeof CHARGE_METHODS)[number];
/** What a member pays for; each kind names the method that collects it (CHARGE_METHOD_<KIND>, default CHARGE_METHOD). */
export const CHARGE_KINDS = ['activation', 'renewal', 'codes', 'approvals'] as const;
export type ChargeKindSetting = (typeof CHARGE_KINDS)[number];

/**
 * One service number Twilio routes to dialpass on premium-rate: the carrier bills every answered
 * call to it `amount` per call, or per started minute. `to` is the number as Twilio sends it in
 * `To` (E.164); `dial` is what callers dial (the carrier's number, e.g. 0990-50-0300), said to
 * callers who must call another number.
 */
export interface PremiumNumber {
  to: string;
  amount: number;
  per: 'call' | 'minute';
  dial: string;
}

/** A phone number as digits with its leading + (hyphens, spaces and brackets dropped), to compare numbers however they were written. */
export const compactNumber = (value: string) => value.trim().replace(/[\s()-]/g, '');

/** A Japanese E.164 number as dialled at home: +81 50 1234 5678 → 050-1234-5678 (others unchanged). */
function domesticForm(e164: string): string {
  const national = /^\+81(\d{9,10})$/.exec(e164)?.[1];
  if (!national) return e164;
  // 050, 070, 080 and 090 numbers are written 0X0-XXXX-XXXX; other lengths vary by area, so they stay in one group.
  return /^[5789]0\d{8}$/.test(national) ? `0${national.slice(0, 2)}-${national.slice(2, 6)}-${national.slice(6)}` : `0${national}`;
}
export type Locale = (typeof LOCALES)[number];

/**
 * The <Gather speechModel> values Twilio's reference lists (docs/TWILIO-BEHAVIOUR.md, Speech). Each
 * takes ja-JP and en-US: the generic ones by the reference's own table, the provider ones by the
 * provider's list (Google STT V2, Deepgram).
 */
export const TWILIO_SPEECH_MODELS = [
  'default', 'numbers_and_commands', 'phone_call', 'experimental_conversations', 'experimental_utterances',
  'googlev2_long', 'googlev2_short', 'googlev2_telephony', 'googlev2_telephony_short', 'deepgram_nova-2', 'deepgram_nova-3',
] as const;
const speechModel = (fallback: (typeof TWILIO_SPEECH_MODELS)[number]) => z.preprocess(emptyAsUndefined, z.enum(TWILIO_SPEECH_MODELS).default(fallback));

const speechHints = (fallback: string) =>
  z
    .preprocess(emptyAsUndefined, z.string().default(fallback))
    .transform((value) => value.split(',').map((h) => h.trim()).filter(Boolean))
    .refine((hints) => hints.length <= 500 && hints.every((h) => h.length <= 100), 'up to 500 comma-separated hints of up to 100 characters each (Twilio <Gather hints>)');

/** SERVICE_PHONE_NUMBER's development default: shown on pages, never dialable; production must set the real one. */
export const PLACEHOLDER_SERVICE_PHONE_NUMBER = '+81-50-0000-0000';
/** ADMIN_TOKEN outside production when none is set (npm start prints it, so a newcomer can open /admin). */
export const DEV_ADMIN_TOKEN = 'dev-admin-token-0123456789';
const DEV_SECRET = 'dev-only-secret-change-me-0123456789abcdef';
const DEV_TWILIO_TOKEN = 'dev-twilio-auth-token-0123456789ab';

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const positiveInt = (fallback: number) => z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(fallback));
const optionalBool = z.preprocess(
  emptyAsUndefined,
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes')),
);

const clusterNodes = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (!value) return [];
      return value.split(',').map((entry) => {
        const match = /^\s*([^:\s]+):(\d+)\s*$/.exec(entry);
        if (!match) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not host:port` });
          return { host: '', port: 0 };
        }
        return { host: match[1]!, port: Number(match[2]) };
      });
    }),
);

const denominations = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .default('500,1000,3000,5000')
    .transform((value, ctx) => {
      const amounts = value.split(',').map((s) => Number(s.trim()));
      if (amounts.length === 0 || amounts.length > 8 || amounts.some((n) => !Number.isInteger(n) || n <= 0)) {
        ctx.addIssue({ code: 'custom', message: 'must be 1 to 8 positive whole amounts separated by commas' });
      }
      return amounts;
    }),
);

/**
 * Values that are published (this repository's defaults, README, .env.example, tests): whoever
 * has read them has the secret. Production refuses them whatever the key.
 */
const PUBLISHED_SECRETS: ReadonlySet<string> = new Set([DEV_ADMIN_TOKEN, DEV_SECRET, DEV_TWILIO_TOKEN, `${DEV_SECRET}-pepper`, 'test-auth-token-0123456789abcdef', 'change-me', 'changeme']);
/** A production secret must carry at least this many bits by the estimate below (openssl rand -base64 24 carries ~140). */
export const MIN_SECRET_BITS = 72;

/**
 * A cautious estimate of a secret's entropy: its length times the Shannon entropy of its own
 * characters. A repeated or patterned value (`aaaaaaaaaaaaaaaaaaaa`: 0 bits, `abababab…`: 1 bit a
 * character) scores low, a random one high (32 random hex characters score about 115).
 */
export function secretBits(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  const n = [...value].length;
  let perChar = 0;
  for (const k of counts.values()) perChar -= (k / n) * Math.log2(k / n);
  return Math.round(perChar * n);
}

/** Why a value may not be a production secret (never saying the value), or undefined. */
export function weakSecret(value: string): string | undefined {
  if (PUBLISHED_SECRETS.has(value) || /^(dev|test)-/.test(value)) return 'is a published development value; generate one (e.g. openssl rand -base64 32)';
  if (secretBits(value) < MIN_SECRET_BITS) return `is too easy to guess (about ${secretBits(value)} bits; at least ${MIN_SECRET_BITS} needed: e.g. openssl rand -base64 32)`;
  return undefined;
}
/** CHARGE_METHOD_<KIND>: empty means CHARGE_METHOD (see toConfig for the development defaults). */
const chargeMethodOf = (what: string) =>
  z
    .preprocess(emptyAsUndefined, z.enum(CHARGE_METHODS).optional())
    .describe(`How ${what} is collected: premium-rate, card, carrier-billing or none. Default: CHARGE_METHOD.`);

/** PREMIUM_RATE_NUMBERS: `+815012340300=300/call@0990-50-0300,…` (see its description). */
const premiumNumbers = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx): PremiumNumber[] | undefined => {
      if (!value) return undefined;
      const numbers: PremiumNumber[] = [];
      for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
        const [tariff = '', dialled] = entry.split('@');
        const m = /^(\+\d{6,15})=(\d{1,9})\/(call|minute)$/.exec(compactNumber(tariff));
        const dial = dialled?.trim();
        if (!m || Number(m[2]) <= 0 || (dial !== undefined && !/^\+?[0-9][0-9 ()-]{3,24}$/.test(dial))) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not TO=AMOUNT/call or TO=AMOUNT/minute[@DIALLED] (TO in E.164, such as +815012340300=300/call@0990-50-0300)` });
          continue;
        }
        if (numbers.some((n) => n.to === m[1])) ctx.addIssue({ code: 'custom', message: `${m[1]} is listed twice` });
        numbers.push({ to: m[1]!, amount: Number(m[2]), per: m[3] as PremiumNumber['per'], dial: dial ?? domesticForm(m[1]!) });
      }
      return numbers;
    }),
);

/** An operator's API base URL (https only in production; loopback stand-ins in tests). */
const httpsUrl = z.preprocess(
  emptyAsUndefined,
  z
    .url({ protocol: /^https?$/ })
    .optional()
    .transform((u) => u?.replace(/\/+$/, '')),
);

const secret = z.preprocess(emptyAsUndefined, z.string().min(16, 'must be at least 16 characters').optional());
const timeZone = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .default('Asia/Tokyo')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Tokyo'),
);


/**
 * Every environment key, its check, its default and its documentation (`.describe()`, which is
 * also what `.env.example` says: `npm run env:example` writes it, a unit test compares).
 *
 * To add a key, add one entry here with `.describe()`: it reaches the config as the key in
 * camelCase (CODE_TTL_DAYS → config.codeTtlDays), typed from its schema. Only keys that are
 * grouped, renamed or defaulted from another key are mapped by hand, in `toConfig` below.
 */
export const ENV_SCHEMA = z.object({
  NODE_ENV: z
    .preprocess(emptyAsUndefined, z.enum(['development', 'test', 'production']).default('development'))
    .describe('development | test | production. Production requires the secrets below.'),
  PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(3000)).describe('HTTP port.'),
  PUBLIC_BASE_URL: z
    .preprocess(
      emptyAsUndefined,
      z
        .url({ protocol: /^https?$/ })
        .optional()
        .transform((u) => u?.replace(/\/+$/, '')),
    )
    .describe('The URL Twilio uses to reach this app (your tunnel or proxy in front of it). Webhook signatures are checked against it. Default: http://localhost:$PORT'),
  WEB_CONCURRENCY: z
    .preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(256).optional())
    .describe('npm start: worker processes serving HTTP (node:cluster). Default: the cores available, or 1 while the browser call simulator is on.'),
  REDIS_URL: optionalString.describe('Redis to use. Empty: `npm start` and `npm test` run a local redis-server themselves.'),
  REDIS_DATA_DIR: optionalString.describe(
    'Where `npm start` keeps its own redis-server\'s data when REDIS_URL is empty (default .data/redis). A lock file there stops a second `npm start` from running a second redis-server on the same data.',
  ),
  REDIS_CLUSTER_NODES: clusterNodes.describe('host:port,host:port — use Redis Cluster instead of REDIS_URL.'),
  REDIS_WAIT_REPLICAS: z
    .preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(16).optional())
    .describe('Replicas every money write waits for (Redis WAIT) before it is acknowledged. Default: 1 where the key’s master has a replica (Redis Cluster), else 0.'),
  REDIS_WAIT_TIMEOUT_MS: z
    .preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(1000))
    .describe('How long a money write waits for its replicas; short of them, the client gets a retryable 503 (the write stays on the master).'),
  REDIS_KEY_PREFIX: z
    .preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^[A-Za-z0-9:_.-]*$/, 'letters, digits and : _ . - only (no braces: they would break hash tags)')
        .default('dp:'),
    )
    .describe('Prefix for every key, so several deployments can share one Redis. No braces.'),
  TWILIO_AUTH_TOKEN: secret.describe(
    'Validates Twilio\'s X-Twilio-Signature (the call simulator signs with it too). Required in production; empty elsewhere: a fixed development token.',
  ),
  TWILIO_ACCOUNT_SID: optionalString.describe('For REST calls (SMS with payment codes). Empty: no SMS is sent.'),
  SERVICE_PHONE_NUMBER: z
    .preprocess(emptyAsUndefined, z.string().default(PLACEHOLDER_SERVICE_PHONE_NUMBER))
    .describe('The number members call, shown after registration. Required in production (the default is a placeholder).'),
  DEFAULT_LOCALE: z.preprocess(emptyAsUndefined, z.enum(LOCALES).default('ja-JP')).describe('ja-JP or en-US: the language callers hear first.'),
  TIME_ZONE: timeZone.describe('Time zone for dates spoken and shown (IANA name).'),
  ACTIVATION_CHARGE: positiveInt(300).describe('What an activation or renewal call costs, in CURRENCY.'),
  CHARGE_METHOD: z
    .preprocess(emptyAsUndefined, z.enum(CHARGE_METHODS).optional())
    .describe(
      'How callers are really charged, for every kind without a CHARGE_METHOD_<KIND>: premium-rate (the carrier of the number dialled bills the call its tariff; reconcile with npm run carrier:reconcile), card (Twilio <Pay> charges a card), carrier-billing (the mobile operator bills the calling line any amount through the CAMARA Carrier Billing API), none (demo: nothing is charged). Required in production; in development activation and renewal are premium-rate, codes and approvals none.',
    ),
  CHARGE_METHOD_ACTIVATION: chargeMethodOf('activation (the first call: the formal ID)'),
  CHARGE_METHOD_RENEWAL: chargeMethodOf('renewal (menu 4)'),
  CHARGE_METHOD_CODES: chargeMethodOf('payment codes bought by phone (menu 2)'),
  CHARGE_METHOD_APPROVALS: chargeMethodOf('payment requests approved by phone (menu 3)'),
  PREMIUM_RATE_NUMBERS: premiumNumbers.describe(
    'premium-rate: each service number Twilio routes here and its carrier tariff, comma-separated: TO=AMOUNT/call or TO=AMOUNT/minute, optionally @DIALLED (the number callers dial, if not TO). Example: +815012340300=300/call@0990-50-0300,+815012341000=1000/call@0990-50-1000. A number sells only what its tariff bills: activation and renewal on a number billing ACTIVATION_CHARGE per call, a code of an amount on a number billing that amount per call, one sale per call. Default: SERVICE_PHONE_NUMBER at ACTIVATION_CHARGE per call.',
  ),
  PAY_CONNECTOR: z
    .preprocess(emptyAsUndefined, z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'the unique name of a Pay Connector in the Twilio console').default('Default'))
    .describe('CHARGE_METHOD=card: the Pay Connector (Twilio console) that charges cards.'),
  CARD_PROCESSOR: z
    .preprocess(emptyAsUndefined, z.enum(['pay-connector', 'stripe']).default('pay-connector'))
    .describe(
      'card: who charges the card. pay-connector: <Pay> charges it through PAY_CONNECTOR, and it is asked in full every time. stripe: <Pay> only tokenizes it (a Stripe PaymentMethod, through a Stripe Pay Connector) and dialpass charges it with Stripe PaymentIntents, so a member can keep the card for next time.',
    ),
  STRIPE_SECRET_KEY: optionalString.describe('CARD_PROCESSOR=stripe: the secret (or restricted) API key of the Stripe account the Pay Connector is authorized on.'),
  STRIPE_API_URL: z
    .preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional())
    .describe('CARD_PROCESSOR=stripe: where Stripe\'s API is (empty: Stripe itself, https://api.stripe.com). For a local stand-in in tests; https only in production.'),
  CARD_CHARGE_LEASE_SECONDS: positiveInt(60).describe(
    'CARD_PROCESSOR=stripe: how long a card charge is left to the call step that makes it; after that, one whose outcome is still open (the app died, the processor did not answer) is settled in the background by reading it at the processor: never charged twice, and refunded if it was charged but never booked.',
  ),
  CARRIER_BILLING_API_URL: httpsUrl.describe(
    'carrier-billing: the mobile operator\'s CAMARA Carrier Billing API, up to its version (e.g. https://api.operator.example/carrier-billing/v0.5): /payments/prepare, /payments/{id}/confirm, … are under it.',
  ),
  CARRIER_BILLING_REFUND_API_URL: httpsUrl.describe('carrier-billing: the operator\'s CAMARA Carrier Billing Refund API (e.g. …/carrier-billing-refund/v0.3). Empty: a charge to give back is listed for the operator to refund.'),
  CARRIER_BILLING_TOKEN_URL: httpsUrl.describe('carrier-billing: the operator\'s OpenID Connect token endpoint (CAMARA Identity and Consent Management: client credentials, a two-legged token naming no line).'),
  CARRIER_BILLING_CLIENT_ID: optionalString.describe('carrier-billing: the client ID the operator issued to this service.'),
  CARRIER_BILLING_CLIENT_SECRET: optionalString.describe('carrier-billing: its client secret.'),
  CARRIER_BILLING_SINK_TOKEN: secret.describe(
    'carrier-billing: the bearer token handed to the operator with every payment (sinkCredential) for its status notifications to POST /carrier-billing/events; empty: no notifications are asked for (the status is read instead).',
  ),
  SIM_SWAP_API_URL: httpsUrl.describe('carrier-billing: the operator\'s CAMARA SIM Swap API (e.g. …/sim-swap/v1). Empty: not checked.'),
  SIM_SWAP_MAX_AGE_HOURS: z
    .preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(2400).default(240))
    .describe('carrier-billing with SIM_SWAP_API_URL: a line whose SIM changed within this many hours is not charged (a stolen number moved to a new SIM bills its owner); 0 turns the check off.'),
  CURRENCY: z
    .preprocess(emptyAsUndefined, z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as JPY').default('JPY'))
    .describe('The currency of every amount (ISO 4217).'),
  ACCESS_PERIOD_DAYS: positiveInt(30).describe('How long access lasts after activation or renewal.'),
  PENDING_REGISTRATION_TTL_SECONDS: positiveInt(86400).describe('How long a provisional ID stays usable.'),
  SESSION_SECRET: secret.describe('Signs session cookies (16+ characters). Required in production.'),
  SESSION_TTL_SECONDS: positiveInt(43200).describe('How long a web session lasts.'),
  ADMIN_TOKEN: secret.describe('Bearer token for operator endpoints (16+ characters). Required in production.'),
  HASH_PEPPER: secret.describe(
    'Key for hashing phone PINs and payment codes (16+ characters). Required in production; never change it on a live system (every PIN and unspent code would stop matching).',
  ),
  SMTP_URL: z
    .preprocess(emptyAsUndefined, z.url({ protocol: /^smtps?$/ }).optional())
    .describe(
      'Where e-mail goes out (password reset links): smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465. Empty: development and test print each mail to the log; production then offers no reset by e-mail.',
    ),
  MAIL_FROM: z
    .preprocess(emptyAsUndefined, z.string().max(200).default('dialpass <no-reply@dialpass.invalid>'))
    .describe('The From of every e-mail, e.g. "dialpass <no-reply@example.com>".'),
  PASSWORD_RESET_TTL_MINUTES: positiveInt(30).describe('How long a password reset link sent by e-mail works (it works once, and only the newest link of a member works).'),
  PASSWORD_RESETS_PER_DAY: positiveInt(3).describe('Reset e-mails one formal ID may be sent in 24 hours.'),
  PASSWORD_RESETS_PER_ADDRESS_PER_HOUR: positiveInt(10).describe('Reset requests and wrong reset links from one client address per hour before 429.'),
  LOGIN_MAX_FAILURES: positiveInt(10).describe('Failed logins per formal ID before a lockout.'),
  LOGIN_LOCKOUT_SECONDS: positiveInt(900).describe('How long a login lockout lasts.'),
  SPEECH_INPUT: optionalBool.describe(
    'Every prompt that waits for keys also listens for speech in the call\'s language (Twilio <Gather input="dtmf speech">); what is heard is read back before it is used. Default: true. false: keys only.',
  ),
  SPEECH_PIN: optionalBool.describe('The phone PIN may be said aloud too; it is then read back aloud and carried, like every number heard, in the next step\'s signed URL (which Twilio logs). Default: false: keys only, and callers who speak are told why (a PIN said aloud can be overheard).'),
  SPEECH_MIN_CONFIDENCE: z
    .preprocess(emptyAsUndefined, z.coerce.number().min(0).max(1).default(0.4))
    .describe('Speech whose Confidence (0.0–1.0) is below this is asked again; Twilio may send no Confidence at all, and then the read-back decides.'),
  SPEECH_MODEL_JA: speechModel('numbers_and_commands').describe(
    `Twilio <Gather speechModel> for Japanese: one Twilio lists that takes ja-JP (${TWILIO_SPEECH_MODELS.join(', ')}). Default numbers_and_commands (digits and command words; Deepgram nova-2 takes Japanese).`,
  ),
  SPEECH_MODEL_EN: speechModel('numbers_and_commands').describe('Twilio <Gather speechModel> for English (en-US). Default numbers_and_commands.'),
  SPEECH_TIMEOUT_JA: positiveInt(2).describe(
    'Seconds of pause that end what a Japanese caller says (speechTimeout). A whole number: Twilio refuses "auto" with a speechModel, and auto would cut a caller who pauses between digit groups.',
  ),
  SPEECH_TIMEOUT_EN: positiveInt(2).describe('The same for English.'),
  SPEECH_HINTS_JA: speechHints(DEFAULT_SPEECH_HINTS['ja-JP']).describe('Comma-separated words and phrases the Japanese recogniser should expect (<Gather hints>; up to 500, each up to 100 characters).'),
  SPEECH_HINTS_EN: speechHints(DEFAULT_SPEECH_HINTS['en-US']).describe('The same for English.'),
  LINE_MAX_WRONG_ENTRIES_PER_DAY: positiveInt(20).describe('Guesses of provisional IDs, formal IDs, PINs and request numbers from one calling number in 24 hours (a right one is handed back) before it is refused for the day.'),
  REGISTRATIONS_PER_ADDRESS_PER_HOUR: positiveInt(20).describe(
    'Registrations from one client address per hour before 429 (each one costs an argon2id password hash, 19 MiB and ~20 ms of CPU; counted before hashing, so a burst cannot get past it). Allow for shared NAT addresses.',
  ),
  SIMULATOR_ENABLED: optionalBool.describe('The browser call simulator at /simulator: on in development and test, off in production unless set to true.'),
  CODE_DENOMINATIONS: denominations.describe('Payment codes: the amounts offered on the phone menu (1 to 8, comma-separated).'),
  MONTHLY_SPENDING_CAP: positiveInt(30000).describe('The most one member may spend per month, payment codes bought and payment requests approved together.'),
  CODE_TTL_DAYS: positiveInt(90).describe('How long a payment code stays valid.'),
  TWILIO_SMS_FROM: z
    .preprocess(emptyAsUndefined, z.string().regex(/^\+\d{6,15}$/, 'an E.164 number such as +815012345678').optional())
    .describe('E.164 number SMS with a freshly bought payment code are sent from (Twilio REST API). Empty, or TWILIO_ACCOUNT_SID empty: no SMS.'),
  VOID_WINDOW_HOURS: positiveInt(24).describe('How long after a redemption the redeeming merchant may void it (the amount goes back on the code).'),
  LEDGER_ONLINE_MONTHS: positiveInt(13).describe(
    'Retention: whole calendar months (UTC) of member ledgers, merchants\' redemption records and the operator audit stream kept in Redis; `npm run archive` exports older entries to CSV, then trims them (docs/SCALING.md, Retention).',
  ),
  MERCHANT_CODE_CHECKS_PER_MINUTE: positiveInt(60).describe('Per merchant: balance checks per minute before the API answers 429 (stops the API from being used to guess codes).'),
  MERCHANT_FAILURES_PER_HOUR: positiveInt(30).describe('Per merchant: failed redemptions/checks (mistyped or unknown codes) per hour before the API answers 429.'),
  PAYMENT_REQUEST_TTL_MINUTES: positiveInt(15).describe('How long a merchant\'s payment request can be approved by phone (menu 3).'),
  WEBHOOK_MAX_ATTEMPTS: positiveInt(8).describe(
    'Merchant webhooks (a durable outbox in Redis, delivered by a worker in every app process): attempts until a 2xx, then the event is marked failed.',
  ),
  WEBHOOK_RETRY_BASE_MS: positiveInt(5000).describe(
    'The first attempt is immediate; retries follow Svix\'s schedule in multiples of this (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h at the default 5000), about 28 hours in all.',
  ),
  WEBHOOK_TIMEOUT_MS: positiveInt(10000).describe('How long one delivery attempt may take, all of it (connect, headers and the whole body), before it is cut and counts as failed.'),
  WEBHOOK_CONCURRENCY: positiveInt(64).describe('Webhook deliveries one app process has on the wire at once (all merchants).'),
  WEBHOOK_CONCURRENCY_PER_MERCHANT: positiveInt(4).describe(
    'Deliveries of one merchant on the wire at once per process: a slow or hostile endpoint holds at most these slots, and only delays its own queue.',
  ),
  OUTBOUND_ALLOW_LOOPBACK: optionalBool.describe(
    'Webhook URLs may point at loopback (127.0.0.0/8, ::1). Empty: allowed in development and test, refused in production. Private, link-local, CGNAT, unique-local, multicast and reserved addresses are always refused, and production accepts https URLs only.',
  ),
  CALL_END_GRACE_MS: positiveInt(20_000).describe(
    'A payment request held by a call that ended without deciding it (the app died mid-step, the line dropped) is settled this long after the call ended: approved if the member was charged, otherwise released. Longer than any step can still be running (Twilio waits 15 s for an answer).',
  ),
  WORKER_POLL_MS: positiveInt(1000).describe('How often the background worker looks for due webhook deliveries and expired payment requests (ms).'),
  RECONCILE_INTERVAL_MS: positiveInt(30000).describe(
    'How often redemptions debited but not yet booked for the merchant (a crash in between) are looked for and booked (ms). Also done once at start.',
  ),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000).describe(
    'On SIGTERM/SIGINT: new connections are refused, idle ones closed, in-flight requests answered with Connection: close; after this many milliseconds the rest are cut and the process exits.',
  ),
  MERCHANT_KEY_OVERLAP_HOURS: positiveInt(24).describe('After a merchant rotates its API key, the old key keeps working this many hours.'),
  METRICS_TOKEN: optionalString.describe('Bearer token GET /metrics asks for; without it and without METRICS_PORT, /metrics is not served.'),
  METRICS_PORT: z
    .preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(65535).optional())
    .describe('Serve /metrics (unauthenticated) on this separate port instead, e.g. bound for the scraper only.'),
  LOG_LEVEL: z
    .preprocess(emptyAsUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
    .describe('fatal | error | warn | info | debug | trace | silent'),
});

export type EnvKey = keyof typeof ENV_SCHEMA.shape;
type Env = z.output<typeof ENV_SCHEMA>;

/** CODE_TTL_DAYS → codeTtlDays, as a type. */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}` : Lowercase<S>;
type CamelCased<T> = { [K in keyof T & string as CamelCase<K>]: T[K] };

const camelCase = (key: string) => key.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
function camelCased<T extends Record<string, unknown>>(values: T): CamelCased<T> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [camelCase(key), value])) as CamelCased<T>;
}

type ChargingEnv = Pick<
  Env,
  | 'CHARGE_METHOD'
  | 'CHARGE_METHOD_ACTIVATION'
  | 'CHARGE_METHOD_RENEWAL'
  | 'CHARGE_METHOD_CODES'
  | 'CHARGE_METHOD_APPROVALS'
  | 'PREMIUM_RATE_NUMBERS'
  | 'CARD_PROCESSOR'
  | 'STRIPE_SECRET_KEY'
  | 'STRIPE_API_URL'
  | 'CARRIER_BILLING_API_URL'
  | 'CARRIER_BILLING_REFUND_API_URL'
  | 'CARRIER_BILLING_TOKEN_URL'
  | 'CARRIER_BILLING_CLIENT_ID'
  | 'CARRIER_BILLING_CLIENT_SECRET'
  | 'CARRIER_BILLING_SINK_TOKEN'
  | 'SIM_SWAP_API_URL'
  | 'SIM_SWAP_MAX_AGE_HOURS'
>;

/**
 * How each kind of charge is collected, checked so that every price can really be collected by
 * its method (docs/CHARGING.md): a premium-rate number bills one tariff, so each premium-rate price
 * needs a number billing exactly it per call. Development without CHARGE_METHOD: activation and
 * renewal on premium-rate (SERVICE_PHONE_NUMBER billing ACTIVATION_CHARGE per call, the product's
 * model), codes and approvals a demo (`none`), since no premium-rate number bills their amounts.
 */
function chargingConfig(
  s: { production: boolean; publicBaseUrl: string; activationCharge: number; denominations: number[]; servicePhoneNumber: string },
  e: ChargingEnv,
  ctx: z.RefinementCtx,
) {
  const issue = (path: EnvKey, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const set = { activation: e.CHARGE_METHOD_ACTIVATION, renewal: e.CHARGE_METHOD_RENEWAL, codes: e.CHARGE_METHOD_CODES, approvals: e.CHARGE_METHOD_APPROVALS };
  const keyOf = (kind: ChargeKindSetting) => `CHARGE_METHOD_${kind.toUpperCase()}` as EnvKey;
  // Any default would be false to callers or give the service away: production must choose.
  if (s.production && !e.CHARGE_METHOD && CHARGE_KINDS.some((k) => !set[k])) {
    issue('CHARGE_METHOD', `required when NODE_ENV=production (${CHARGE_METHODS.join(', ')}), unless every CHARGE_METHOD_<KIND> is set`);
  }
  const devDefault = (kind: ChargeKindSetting): ChargeMethod => (kind === 'activation' || kind === 'renewal' ? 'premium-rate' : 'none');
  const methods = Object.fromEntries(CHARGE_KINDS.map((kind) => [kind, set[kind] ?? e.CHARGE_METHOD ?? devDefault(kind)])) as Record<ChargeKindSetting, ChargeMethod>;
  // A merchant asks any amount; premium-rate bills only its numbers' tariffs: never by default.
  if (e.CHARGE_METHOD === 'premium-rate' && !set.approvals) {
    issue('CHARGE_METHOD_APPROVALS', 'required when CHARGE_METHOD=premium-rate: a premium-rate number bills only its own tariff, not the amount a merchant asks (card, none, or premium-rate to accept only requests of a tariff\'s amount)');
  }
  const servicePhone = compactNumber(s.servicePhoneNumber);
  // Without a list, the one number members are told to call bills the activation fee, if anything is premium-rate at all.
  const premium = CHARGE_KINDS.some((k) => methods[k] === 'premium-rate');
  const numbers = e.PREMIUM_RATE_NUMBERS ?? (premium ? [{ to: servicePhone, amount: s.activationCharge, per: 'call' as const, dial: domesticForm(servicePhone) }] : []);
  const perCall = (amount: number) => numbers.filter((n) => n.per === 'call' && n.amount === amount);
  const yen = (amounts: number[]) => amounts.join(', ');
  for (const kind of ['activation', 'renewal'] as const) {
    if (methods[kind] === 'premium-rate' && perCall(s.activationCharge).length === 0) {
      issue(keyOf(kind), `premium-rate cannot collect ACTIVATION_CHARGE (${s.activationCharge}): no number in PREMIUM_RATE_NUMBERS bills ${s.activationCharge}/call`);
    }
  }
  if (methods.codes === 'premium-rate') {
    const missing = s.denominations.filter((amount) => perCall(amount).length === 0);
    if (missing.length) issue('CHARGE_METHOD_CODES', `premium-rate cannot collect codes of ${yen(missing)}: no number in PREMIUM_RATE_NUMBERS bills that per call (add one per amount, or set CHARGE_METHOD_CODES=card or none)`);
  }
  if (methods.approvals === 'premium-rate' && !numbers.some((n) => n.per === 'call')) {
    issue('CHARGE_METHOD_APPROVALS', 'premium-rate needs at least one number billed per call in PREMIUM_RATE_NUMBERS');
  }
  // Where new members are sent to activate must be a number that bills the activation fee.
  if (s.production && methods.activation === 'premium-rate' && !perCall(s.activationCharge).some((n) => n.to === servicePhone || compactNumber(n.dial) === servicePhone)) {
    issue('SERVICE_PHONE_NUMBER', `must be a number of PREMIUM_RATE_NUMBERS billing ACTIVATION_CHARGE (${s.activationCharge}) per call, as activation is premium-rate`);
  }
  const card = CHARGE_KINDS.some((k) => methods[k] === 'card');
  // Twilio requests <Pay>'s action over https only (docs/TWILIO-BEHAVIOUR.md, <Pay>).
  if (s.production && card && !s.publicBaseUrl.startsWith('https://')) {
    issue('PUBLIC_BASE_URL', 'must be https:// when a charge is by card (Twilio <Pay> posts its result over https only)');
  }
  if (card && e.CARD_PROCESSOR === 'stripe' && !e.STRIPE_SECRET_KEY) issue('STRIPE_SECRET_KEY', 'required when CARD_PROCESSOR=stripe');
  if (s.production && e.STRIPE_API_URL && !e.STRIPE_API_URL.startsWith('https://')) issue('STRIPE_API_URL', 'must be https:// in production');
  const carrier = CHARGE_KINDS.some((k) => methods[k] === 'carrier-billing');
  if (carrier) {
    for (const key of ['CARRIER_BILLING_API_URL', 'CARRIER_BILLING_TOKEN_URL', 'CARRIER_BILLING_CLIENT_ID', 'CARRIER_BILLING_CLIENT_SECRET'] as const) {
      if (!e[key]) issue(key, 'required when a charge is carrier-billing');
    }
  }
  for (const key of ['CARRIER_BILLING_API_URL', 'CARRIER_BILLING_REFUND_API_URL', 'CARRIER_BILLING_TOKEN_URL', 'SIM_SWAP_API_URL'] as const) {
    if (s.production && e[key] && !e[key]!.startsWith('https://')) issue(key, 'must be https:// in production');
  }
  // The operator posts its notifications to the public URL, over https only (the spec's `sink` pattern).
  if (carrier && e.CARRIER_BILLING_SINK_TOKEN && !s.publicBaseUrl.startsWith('https://') && s.production) issue('PUBLIC_BASE_URL', 'must be https:// for carrier-billing notifications');
  return {
    /** CHARGE_METHOD as set (undefined in development when unset): what /healthz reports beside the per-kind methods. */
    defaultMethod: e.CHARGE_METHOD,
    methods,
    premiumNumbers: numbers,
    cardProcessor: e.CARD_PROCESSOR,
    stripe: e.STRIPE_SECRET_KEY ? { secretKey: e.STRIPE_SECRET_KEY, apiUrl: e.STRIPE_API_URL } : undefined,
    /** The mobile operator's CAMARA APIs (CHARGE_METHOD_<KIND>=carrier-billing). */
    carrierBilling:
      carrier && e.CARRIER_BILLING_API_URL && e.CARRIER_BILLING_TOKEN_URL && e.CARRIER_BILLING_CLIENT_ID && e.CARRIER_BILLING_CLIENT_SECRET
        ? {
            apiUrl: e.CARRIER_BILLING_API_URL,
            refundApiUrl: e.CARRIER_BILLING_REFUND_API_URL,
            tokenUrl: e.CARRIER_BILLING_TOKEN_URL,
            clientId: e.CARRIER_BILLING_CLIENT_ID,
            clientSecret: e.CARRIER_BILLING_CLIENT_SECRET,
            sinkToken: e.CARRIER_BILLING_SINK_TOKEN,
            simSwap: e.SIM_SWAP_API_URL && e.SIM_SWAP_MAX_AGE_HOURS > 0 ? { apiUrl: e.SIM_SWAP_API_URL, maxAgeHours: e.SIM_SWAP_MAX_AGE_HOURS } : undefined,
          }
        : undefined,
  };
}

/** The keys that do not simply become their camelCase name: groups, renames and defaults that depend on another key. */
function toConfig(e: Env, ctx: z.RefinementCtx) {
  const {
    NODE_ENV,
    PUBLIC_BASE_URL,
    REDIS_URL,
    REDIS_CLUSTER_NODES,
    REDIS_KEY_PREFIX,
    REDIS_DATA_DIR,
    REDIS_WAIT_REPLICAS,
    REDIS_WAIT_TIMEOUT_MS,
    TWILIO_AUTH_TOKEN,
    TWILIO_ACCOUNT_SID,
    TWILIO_SMS_FROM,
    SESSION_SECRET,
    ADMIN_TOKEN,
    HASH_PEPPER,
    SIMULATOR_ENABLED,
    OUTBOUND_ALLOW_LOOPBACK,
    CHARGE_METHOD,
    CHARGE_METHOD_ACTIVATION,
    CHARGE_METHOD_RENEWAL,
    CHARGE_METHOD_CODES,
    CHARGE_METHOD_APPROVALS,
    PREMIUM_RATE_NUMBERS,
    CARD_PROCESSOR,
    STRIPE_SECRET_KEY,
    STRIPE_API_URL,
    CARRIER_BILLING_API_URL,
    CARRIER_BILLING_REFUND_API_URL,
    CARRIER_BILLING_TOKEN_URL,
    CARRIER_BILLING_CLIENT_ID,
    CARRIER_BILLING_CLIENT_SECRET,
    CARRIER_BILLING_SINK_TOKEN,
    SIM_SWAP_API_URL,
    SIM_SWAP_MAX_AGE_HOURS,
    METRICS_TOKEN,
    METRICS_PORT,
    SMTP_URL,
    MAIL_FROM,
    SPEECH_INPUT,
    SPEECH_PIN,
    SPEECH_MIN_CONFIDENCE,
    SPEECH_MODEL_JA,
    SPEECH_MODEL_EN,
    SPEECH_TIMEOUT_JA,
    SPEECH_TIMEOUT_EN,
    SPEECH_HINTS_JA,
    SPEECH_HINTS_EN,
    ...plain
  } = e;
  const production = NODE_ENV === 'production';
  const required = (name: EnvKey, value: string | undefined, devValue: string): string => {
    if (value) return value;
    if (production) ctx.addIssue({ code: 'custom', path: [name], message: 'required when NODE_ENV=production' });
    return devValue;
  };
  if (production) {
    const secrets = { TWILIO_AUTH_TOKEN, SESSION_SECRET, ADMIN_TOKEN, HASH_PEPPER, METRICS_TOKEN };
    for (const [name, value] of Object.entries(secrets)) {
      const why = value ? weakSecret(value) : undefined;
      if (why) ctx.addIssue({ code: 'custom', path: [name], message: `${why} (NODE_ENV=production)` });
    }
  }
  const publicBaseUrl = PUBLIC_BASE_URL ?? `http://localhost:${plain.PORT}`;
  // Twilio signs the URL it calls: without the public URL every real webhook would be refused (403).
  if (production && !PUBLIC_BASE_URL) ctx.addIssue({ code: 'custom', path: ['PUBLIC_BASE_URL'], message: 'required when NODE_ENV=production (the URL Twilio calls; signatures are checked against it)' });
  if (production && plain.SERVICE_PHONE_NUMBER === PLACEHOLDER_SERVICE_PHONE_NUMBER) {
    ctx.addIssue({ code: 'custom', path: ['SERVICE_PHONE_NUMBER'], message: 'required when NODE_ENV=production (the number members call)' });
  }
  const charging = chargingConfig(
    { production, publicBaseUrl, activationCharge: plain.ACTIVATION_CHARGE, denominations: plain.CODE_DENOMINATIONS, servicePhoneNumber: plain.SERVICE_PHONE_NUMBER },
    {
      CHARGE_METHOD,
      CHARGE_METHOD_ACTIVATION,
      CHARGE_METHOD_RENEWAL,
      CHARGE_METHOD_CODES,
      CHARGE_METHOD_APPROVALS,
      PREMIUM_RATE_NUMBERS,
      CARD_PROCESSOR,
      STRIPE_SECRET_KEY,
      STRIPE_API_URL,
      CARRIER_BILLING_API_URL,
      CARRIER_BILLING_REFUND_API_URL,
      CARRIER_BILLING_TOKEN_URL,
      CARRIER_BILLING_CLIENT_ID,
      CARRIER_BILLING_CLIENT_SECRET,
      CARRIER_BILLING_SINK_TOKEN,
      SIM_SWAP_API_URL,
      SIM_SWAP_MAX_AGE_HOURS,
    },
    ctx,
  );
  return {
    ...camelCased(plain),
    env: NODE_ENV,
    publicBaseUrl,
    /** How each kind of charge is really collected, the premium-rate numbers' tariffs and the card processor; every prompt about money says it. */
    charging,
    /** dataDir: where npm start's own redis-server keeps its data when REDIS_URL is empty (default .data/redis). */
    /** waitReplicas: replicas a money write waits for (undefined: 1 where the key's master has one); waitTimeoutMs: how long before a retryable error. */
    redis: { url: REDIS_URL, clusterNodes: REDIS_CLUSTER_NODES, keyPrefix: REDIS_KEY_PREFIX, dataDir: REDIS_DATA_DIR, waitReplicas: REDIS_WAIT_REPLICAS, waitTimeoutMs: REDIS_WAIT_TIMEOUT_MS },
    twilio: { authToken: required('TWILIO_AUTH_TOKEN', TWILIO_AUTH_TOKEN, DEV_TWILIO_TOKEN), accountSid: TWILIO_ACCOUNT_SID },
    /** Sender number for payment-code SMS; SMS is sent only when this and TWILIO_ACCOUNT_SID are set. */
    smsFrom: TWILIO_SMS_FROM,
    sessionSecret: required('SESSION_SECRET', SESSION_SECRET, DEV_SECRET),
    adminToken: required('ADMIN_TOKEN', ADMIN_TOKEN, DEV_ADMIN_TOKEN),
    hashPepper: required('HASH_PEPPER', HASH_PEPPER, `${DEV_SECRET}-pepper`),
    simulatorEnabled: SIMULATOR_ENABLED ?? !production,
    outboundAllowLoopback: OUTBOUND_ALLOW_LOOPBACK ?? !production,
    metrics: { token: METRICS_TOKEN, port: METRICS_PORT },
    /**
     * Listening on the phone (docs/TWILIO-BEHAVIOUR.md, Speech): whether prompts listen at all, the
     * PIN too, the Confidence below which speech is asked again, and per language Twilio's model,
     * the pause that ends speech (seconds) and the hints.
     */
    speech: {
      enabled: SPEECH_INPUT ?? true,
      pin: SPEECH_PIN ?? false,
      minConfidence: SPEECH_MIN_CONFIDENCE,
      byLocale: {
        'ja-JP': { model: SPEECH_MODEL_JA, timeout: SPEECH_TIMEOUT_JA, hints: SPEECH_HINTS_JA },
        'en-US': { model: SPEECH_MODEL_EN, timeout: SPEECH_TIMEOUT_EN, hints: SPEECH_HINTS_EN },
      } satisfies Record<Locale, { model: string; timeout: number; hints: string[] }>,
    },
    /** Outgoing e-mail: SMTP when smtpUrl is set; else printed to the log outside production (`console`), or none in production. */
    mail: { smtpUrl: SMTP_URL, from: MAIL_FROM, transport: SMTP_URL ? ('smtp' as const) : production ? ('none' as const) : ('console' as const) },
  };
}

const CONFIG_SCHEMA = ENV_SCHEMA.transform(toConfig);

/** The configuration, as the schema makes it: each key's documentation is its `.describe()` in ENV_SCHEMA. */
export type Config = z.output<typeof CONFIG_SCHEMA>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Builds the configuration from an environment-like object; throws ConfigError listing every problem. */
export function buildConfig(env: Record<string, string | undefined>): Config {
  const result = CONFIG_SCHEMA.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  return result.data;
}

/** Reads `.env` (if any) and the process environment. The only place in src/ that touches process.env. */
export function loadConfig(overrides: Record<string, string | undefined> = {}): Config {
  loadDotenv({ quiet: true });
  return buildConfig({ ...process.env, ...overrides });
}

/** Environment for child processes (scripts that start the app with a managed Redis). */
export function processEnv(): Record<string, string | undefined> {
  loadDotenv({ quiet: true });
  return { ...process.env };
}
