import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';

export const LOCALES = ['ja-JP', 'en-US'] as const;
export type Locale = (typeof LOCALES)[number];

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

const schema = z.object({
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'test', 'production']).default('development')),
  PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  PUBLIC_BASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .url({ protocol: /^https?$/ })
      .optional()
      .transform((u) => u?.replace(/\/+$/, '')),
  ),
  REDIS_URL: optionalString,
  REDIS_CLUSTER_NODES: clusterNodes,
  REDIS_DATA_DIR: optionalString,
  REDIS_WAIT_REPLICAS: z
    .preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(16).optional())
    .describe('Replicas every money write waits for (Redis WAIT) before it is acknowledged. Default: 1 where the key’s master has a replica (Redis Cluster), else 0.'),
  REDIS_WAIT_TIMEOUT_MS: z
    .preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(1000))
    .describe('How long a money write waits for its replicas; short of them, the client gets a retryable 503 (the write stays on the master).'),
  REDIS_KEY_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9:_.-]*$/, 'letters, digits and : _ . - only (no braces: they would break hash tags)')
      .default('dp:'),
  ),
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_ACCOUNT_SID: optionalString,
  SERVICE_PHONE_NUMBER: z.preprocess(emptyAsUndefined, z.string().default('+81-50-0000-0000')),
  DEFAULT_LOCALE: z.preprocess(emptyAsUndefined, z.enum(LOCALES).default('ja-JP')),
  ACTIVATION_CHARGE: positiveInt(300),
  CURRENCY: z.preprocess(emptyAsUndefined, z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as JPY').default('JPY')),
  ACCESS_PERIOD_DAYS: positiveInt(30),
  PENDING_REGISTRATION_TTL_SECONDS: positiveInt(86400),
  SESSION_SECRET: optionalString,
  ADMIN_TOKEN: optionalString,
  HASH_PEPPER: optionalString,
  LOGIN_MAX_FAILURES: positiveInt(10),
  LOGIN_LOCKOUT_SECONDS: positiveInt(900),
  LINE_MAX_WRONG_ENTRIES_PER_DAY: positiveInt(20),
  REGISTRATIONS_PER_ADDRESS_PER_HOUR: positiveInt(20),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  WEB_CONCURRENCY: z
    .preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(256).optional())
    .describe('npm start: worker processes serving HTTP (node:cluster). Default: the cores available, or 1 while the browser call simulator is on.'),
  SESSION_TTL_SECONDS: positiveInt(43200),
  SIMULATOR_ENABLED: optionalBool,
  CODE_DENOMINATIONS: denominations,
  MONTHLY_SPENDING_CAP: positiveInt(30000),
  CODE_TTL_DAYS: positiveInt(90),
  TWILIO_SMS_FROM: z.preprocess(emptyAsUndefined, z.string().regex(/^\+\d{6,15}$/, 'an E.164 number such as +815012345678').optional()),
  VOID_WINDOW_HOURS: positiveInt(24),
  MERCHANT_CODE_CHECKS_PER_MINUTE: positiveInt(60),
  MERCHANT_FAILURES_PER_HOUR: positiveInt(30),
  PAYMENT_REQUEST_TTL_MINUTES: positiveInt(15),
  WEBHOOK_MAX_ATTEMPTS: positiveInt(8),
  WEBHOOK_RETRY_BASE_MS: positiveInt(5000),
  WEBHOOK_TIMEOUT_MS: positiveInt(10000),
  OUTBOUND_ALLOW_LOOPBACK: optionalBool,
  WORKER_POLL_MS: positiveInt(1000),
  RECONCILE_INTERVAL_MS: positiveInt(30000),
  TIME_ZONE: z.preprocess(
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
  ),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
});

type Parsed = z.infer<typeof schema>;

export interface Config {
  env: Parsed['NODE_ENV'];
  port: number;
  publicBaseUrl: string;
  /** dataDir: where npm start's own redis-server keeps its data when REDIS_URL is empty (default .data/redis). */
  /**
   * waitReplicas: replicas a money write waits for (undefined: 1 where the key's master has one);
   * waitTimeoutMs: how long it waits before answering a retryable error.
   */
  redis: { url?: string; clusterNodes: { host: string; port: number }[]; keyPrefix: string; dataDir?: string; waitReplicas?: number; waitTimeoutMs: number };
  twilio: { authToken: string; accountSid?: string };
  servicePhoneNumber: string;
  defaultLocale: Locale;
  activationCharge: number;
  currency: string;
  accessPeriodDays: number;
  pendingRegistrationTtlSeconds: number;
  sessionSecret: string;
  sessionTtlSeconds: number;
  adminToken: string;
  hashPepper: string;
  loginMaxFailures: number;
  loginLockoutSeconds: number;
  lineMaxWrongEntriesPerDay: number;
  /** Registrations one client address may make per hour (each costs a 19 MiB argon2id hash). */
  registrationsPerAddressPerHour: number;
  /** After SIGTERM/SIGINT: how long in-flight requests get before connections are force-closed. */
  shutdownTimeoutMs: number;
  /** npm start's worker processes (WEB_CONCURRENCY); undefined: npm start decides (see scripts/start.ts). */
  webConcurrency?: number;
  simulatorEnabled: boolean;
  codeDenominations: number[];
  monthlySpendingCap: number;
  codeTtlDays: number;
  /** Sender number for payment-code SMS; SMS is sent only when this and TWILIO_ACCOUNT_SID are set. */
  smsFrom?: string;
  voidWindowHours: number;
  merchantCodeChecksPerMinute: number;
  merchantFailuresPerHour: number;
  paymentRequestTtlMinutes: number;
  webhookMaxAttempts: number;
  /** First retry delay; later ones follow Svix's schedule in multiples of it (see outbox.ts). */
  webhookRetryBaseMs: number;
  webhookTimeoutMs: number;
  /** Webhook URLs may point at loopback (development and test listeners); never in production by default. */
  outboundAllowLoopback: boolean;
  /** How often the background worker looks for due deliveries and expired payment requests. */
  workerPollMs: number;
  /** How often unsettled redemptions (debited, not yet booked for the merchant) are looked for. */
  reconcileIntervalMs: number;
  timeZone: string;
  logLevel: Parsed['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Builds the configuration from an environment-like object; throws ConfigError listing every problem. */
export function buildConfig(env: Record<string, string | undefined>): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  const e = result.data;
  const production = e.NODE_ENV === 'production';
  const missing: string[] = [];
  const secret = (name: string, value: string | undefined, devValue: string): string => {
    if (value && value.length >= 16) return value;
    if (value) missing.push(`  ${name}: must be at least 16 characters`);
    else if (production) missing.push(`  ${name}: required when NODE_ENV=production`);
    return devValue;
  };
  const config: Config = {
    env: e.NODE_ENV,
    port: e.PORT,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`,
    redis: {
      url: e.REDIS_URL,
      clusterNodes: e.REDIS_CLUSTER_NODES,
      keyPrefix: e.REDIS_KEY_PREFIX,
      dataDir: e.REDIS_DATA_DIR,
      waitReplicas: e.REDIS_WAIT_REPLICAS,
      waitTimeoutMs: e.REDIS_WAIT_TIMEOUT_MS,
    },
    twilio: {
      authToken: secret('TWILIO_AUTH_TOKEN', e.TWILIO_AUTH_TOKEN, DEV_TWILIO_TOKEN),
      accountSid: e.TWILIO_ACCOUNT_SID,
    },
    servicePhoneNumber: e.SERVICE_PHONE_NUMBER,
    defaultLocale: e.DEFAULT_LOCALE,
    activationCharge: e.ACTIVATION_CHARGE,
    currency: e.CURRENCY,
    accessPeriodDays: e.ACCESS_PERIOD_DAYS,
    pendingRegistrationTtlSeconds: e.PENDING_REGISTRATION_TTL_SECONDS,
    sessionSecret: secret('SESSION_SECRET', e.SESSION_SECRET, DEV_SECRET),
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    adminToken: secret('ADMIN_TOKEN', e.ADMIN_TOKEN, 'dev-admin-token-0123456789'),
    hashPepper: secret('HASH_PEPPER', e.HASH_PEPPER, `${DEV_SECRET}-pepper`),
    loginMaxFailures: e.LOGIN_MAX_FAILURES,
    loginLockoutSeconds: e.LOGIN_LOCKOUT_SECONDS,
    lineMaxWrongEntriesPerDay: e.LINE_MAX_WRONG_ENTRIES_PER_DAY,
    registrationsPerAddressPerHour: e.REGISTRATIONS_PER_ADDRESS_PER_HOUR,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    webConcurrency: e.WEB_CONCURRENCY,
    simulatorEnabled: e.SIMULATOR_ENABLED ?? !production,
    codeDenominations: e.CODE_DENOMINATIONS,
    monthlySpendingCap: e.MONTHLY_SPENDING_CAP,
    codeTtlDays: e.CODE_TTL_DAYS,
    smsFrom: e.TWILIO_SMS_FROM,
    voidWindowHours: e.VOID_WINDOW_HOURS,
    merchantCodeChecksPerMinute: e.MERCHANT_CODE_CHECKS_PER_MINUTE,
    merchantFailuresPerHour: e.MERCHANT_FAILURES_PER_HOUR,
    paymentRequestTtlMinutes: e.PAYMENT_REQUEST_TTL_MINUTES,
    webhookMaxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
    webhookRetryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
    outboundAllowLoopback: e.OUTBOUND_ALLOW_LOOPBACK ?? !production,
    workerPollMs: e.WORKER_POLL_MS,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    timeZone: e.TIME_ZONE,
    logLevel: e.LOG_LEVEL,
  };
  if (missing.length > 0) throw new ConfigError(`invalid configuration:\n${missing.join('\n')}`);
  return config;
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
