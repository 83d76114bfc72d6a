import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { requestLogFields } from './request-context.ts';
import { API_TEXT, type ApiText } from './api-text.ts';

/** What a client is told to wait before retrying while Redis fails over (a replica takes over in a few seconds). */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/** An error meant for the client: an HTTP status, a stable machine code and a human message. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    /** What the client is told, in both languages (src/http/api-text.ts); the JSON API answers in English. */
    readonly text: ApiText,
    readonly headers: Record<string, string> = {},
  ) {
    super(text.en);
  }
}

/** What a field of the wrong JSON type needs, in words a client reads (zod names types as TypeScript does). */
const TYPE_NEEDS: Record<string, string> = {
  int: 'must be a whole number',
  number: 'must be a number',
  string: 'must be text',
  boolean: 'must be true or false',
  object: 'must be a JSON object',
  array: 'must be a list',
};

/**
 * The one place zod's issues become what a client is told: "<field> <needs>". A message our
 * schemas give (a lowercase phrase such as "must be at most 100 characters") is kept; zod's own
 * wording ("Invalid input: expected string, received undefined", "Invalid option: expected one
 * of …", "Invalid URL") is for developers of dialpass, so each kind of issue is said plainly.
 */
function fieldNeeds(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (/received undefined$/.test(issue.message)) return 'is required';
      return TYPE_NEEDS[issue.expected] ?? 'has the wrong type';
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    default:
      break;
  }
  if (/^[a-z]/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a URL' : issue.format === 'email' ? 'must be an e-mail address' : 'is not in the expected form';
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'unrecognized_keys':
      return `has fields this endpoint does not take: ${issue.keys.join(', ')}`;
    default:
      return 'is not valid';
  }
}

/** Validation failures as one 422 naming every field at fault, in plain sentences (fieldNeeds). */
export function invalidInput(error: z.ZodError): AppError {
  // A body that is JSON but not an object (an array): the same answer as `null` or `42` get.
  if (error.issues.some((i) => i.path.length === 0 && i.code === 'invalid_type')) return new AppError(422, 'invalid_input', API_TEXT.notAnObject);
  const fields = error.issues.map((i) => `${i.path.join('.') || 'the body'} ${fieldNeeds(i)}`);
  return new AppError(422, 'invalid_input', API_TEXT.invalidInput(fields.join('; ')));
}

export const errorBody = (code: string, message: string) => ({ error: { code, message } });

const isJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Maps body-parser's own errors (bad JSON, too large, wrong charset) to AppErrors. */
export function fromBodyParserError(error: unknown): AppError | undefined {
  const e = error as { type?: string; status?: number };
  switch (e?.type) {
    case 'entity.parse.failed': {
      // express.json is strict: `null`, `"text"` or `42` are JSON, but not the object every endpoint takes.
      const raw = String((error as { body?: unknown }).body ?? '').trim();
      if (raw && !/^[{[]/.test(raw) && isJson(raw)) return new AppError(422, 'invalid_input', API_TEXT.notAnObject);
      return new AppError(400, 'malformed_json', API_TEXT.malformedJson);
    }
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', API_TEXT.payloadTooLarge);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_encoding', API_TEXT.unsupportedEncoding);
    case 'request.aborted':
      return new AppError(400, 'request_aborted', API_TEXT.requestAborted);
    default:
      return undefined;
  }
}

/**
 * Redis errors that mean "not now" (a failover, a restart, a dropped connection, a money write not
 * yet on its replicas: ReplicaWaitError from store/redis.ts), not "wrong": a client should retry.
 */
export function redisUnavailable(error: unknown): boolean {
  const e = error as { name?: string; message?: string; code?: string } | null;
  return (
    e?.name === 'ReplicaWaitError' ||
    e?.name === 'MaxRetriesPerRequestError' ||
    e?.name === 'ClusterAllFailedError' ||
    /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY)\b|Too many Cluster redirections|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|EPIPE|Failed to refresh slots cache|redis/i.test(`${e?.code ?? ''} ${e?.message ?? ''}`.trim())
  );
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
      res.status(status).json(errorBody('bad_request', API_TEXT.badRequest.en));
      return;
    }
    // Redis away for a moment (a failover, a restart) or a money write not yet on a replica: retryable.
    if (redisUnavailable(error)) {
      logger.warn({ ...requestLogFields(req, res), err: error, path: req.path }, 'Redis unavailable; answered 503');
      res
        .status(503)
        .set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS))
        .json(errorBody('unavailable', API_TEXT.unavailable.en));
      return;
    }
    logger.error({ ...requestLogFields(req, res), err: error, path: req.path }, 'unhandled API error');
    res.status(500).json(errorBody('internal_error', API_TEXT.internalError.en));
  };
}

export const jsonNotFound: RequestHandler = (_req, res) => {
  res.status(404).json(errorBody('not_found', API_TEXT.notFound.en));
};

/** A POST whose body is not JSON would otherwise reach the handler as an empty object. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  // The usual header decides without type-is's parsing; anything else is read by req.is.
  const type = req.headers['content-type'];
  const plainJson = type === 'application/json' || type === 'application/json; charset=utf-8';
  if (!plainJson && req.method !== 'GET' && req.method !== 'DELETE' && !req.is('application/json') && Number(req.headers['content-length'] ?? 0) > 0) {
    next(new AppError(415, 'unsupported_media_type', API_TEXT.unsupportedMediaType));
    return;
  }
  next();
};

/** Headers every JSON answer carries: no MIME sniffing, and nothing about payments in a cache. */
export const jsonApiHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * What every JSON API request passes first, as one middleware rather than three router layers
 * (each layer costs every request a path match and a dispatch): the JSON answer headers, the
 * body parsed by `parse` (express.json), then the check that a body sent is JSON.
 */
export function jsonRequest(parse: RequestHandler): RequestHandler {
  return (req, res, next) => {
    jsonApiHeaders(req, res, () => {
      parse(req, res, (error?: unknown) => {
        if (error) next(error);
        else requireJsonBody(req, res, next);
      });
    });
  };
}
