import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

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
 * JSON logs (pino): one line per event, cheap enough for the webhook hot path. A line written while
 * a request is answered spreads `requestLogFields(req, res)` (http/request-context.ts) into it, so
 * it carries the requestId, and in a call step the CallSid.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'env'>, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level: config.env === 'test' && !destination ? 'silent' : config.logLevel,
    redact: REDACTED_PATHS,
  };
  return destination ? pino(options, destination as Parameters<typeof pino>[1]) : pino(options);
}
