import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { requestContext } from './http/request-context.ts';

export type { Logger };

/** Never written to a log: credentials, secrets, and what would let someone pay or sign in. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  '*.passwordHash',
  '*.pin',
  '*.apiKey',
  '*.token',
  '*.webhookSecret',
  '*.secret',
  '*.adminToken',
];

/**
 * JSON logs (pino): one line per event, cheap enough for the webhook hot path. Every line written
 * while a request is handled carries its requestId, and in a call step the CallSid
 * (http/request-context.ts).
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'env'>, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level: config.env === 'test' && !destination ? 'silent' : config.logLevel,
    redact: REDACTED_PATHS,
    mixin: () => requestContext.getStore() ?? {},
  };
  return destination ? pino(options, destination as Parameters<typeof pino>[1]) : pino(options);
}
