import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isRedisUnavailable } from '../store/redis.ts';

/** What a client is told to wait before retrying while Redis fails over (a replica takes over in a few seconds). */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/** An error meant for the client: an HTTP status, a stable machine code and a human message. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const errorBody = (code: string, message: string) => ({ error: { code, message } });

/** Maps body-parser's own errors (bad JSON, too large, wrong charset) to AppErrors. */
export function fromBodyParserError(error: unknown): AppError | undefined {
  const e = error as { type?: string; status?: number };
  switch (e?.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'malformed_json', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', 'The request body is too large.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_encoding', 'Send the body as UTF-8.');
    case 'request.aborted':
      return new AppError(400, 'request_aborted', 'The request was aborted.');
    default:
      return undefined;
  }
}

/** JSON API errors: `{"error":{"code","message"}}`, never a stack trace. */
export function jsonErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = error instanceof AppError ? error : fromBodyParserError(error);
    if (known) {
      res.status(known.status).set(known.headers).json(errorBody(known.code, known.message));
      return;
    }
    // Express's own client errors (a parameter that does not decode, say) carry a 4xx status.
    const status = Number((error as { status?: unknown })?.status);
    if (status >= 400 && status < 500) {
      res.status(status).json(errorBody('bad_request', 'The request could not be understood.'));
      return;
    }
    // Redis away for a moment (a failover, a restart) or a money write not yet on a replica: retryable.
    if (isRedisUnavailable(error) || /redis/i.test(String(error?.message))) {
      logger.warn({ err: error, path: req.path }, 'Redis unavailable; answered 503');
      res
        .status(503)
        .set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS))
        .json(errorBody('unavailable', 'The service is briefly unavailable. Please retry in a moment (with the same Idempotency-Key, if you sent one).'));
      return;
    }
    logger.error({ err: error, path: req.path }, 'unhandled API error');
    res.status(500).json(errorBody('internal_error', 'Something went wrong on our side; nothing was changed. Please try again.'));
  };
}

export const jsonNotFound: RequestHandler = (_req, res) => {
  res.status(404).json(errorBody('not_found', 'There is no such endpoint.'));
};

/** A POST whose body is not JSON would otherwise reach the handler as an empty object. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (req.method !== 'GET' && req.method !== 'DELETE' && !req.is('application/json') && Number(req.headers['content-length'] ?? 0) > 0) {
    next(new AppError(415, 'unsupported_media_type', 'Send the body as application/json.'));
    return;
  }
  next();
};

/** Headers every JSON answer carries: no MIME sniffing, and nothing about payments in a cache. */
export const jsonApiHeaders: RequestHandler = (_req, res, next) => {
  res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
  next();
};
