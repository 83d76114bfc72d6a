import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';

// The simulator's own small HTTP pieces. It stands outside the product (src/) and reaches dialpass
// only over HTTP, so it answers its JSON API in the same `{"error":{"code","message"}}` shape
// without borrowing the product's error module.

/** An error for the page's client: an HTTP status, a stable code and a message. */
export class SimulatorError extends Error {
  override name = 'SimulatorError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

/** What body-parser's own errors mean for the client. */
const BODY_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'malformed_json', 'The request body is not valid JSON.'],
  'entity.too.large': [413, 'payload_too_large', 'The request body is too large.'],
  'encoding.unsupported': [415, 'unsupported_encoding', 'Send the body as UTF-8.'],
  'charset.unsupported': [415, 'unsupported_encoding', 'Send the body as UTF-8.'],
};

/** Where an unexpected error is reported (the server's logger, or the console). */
export type ErrorReport = (error: unknown, path: string) => void;

export function jsonErrors(report: ErrorReport): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (error instanceof SimulatorError) {
      res.status(error.status).json(errorBody(error.code, error.message));
      return;
    }
    const known = BODY_ERRORS[(error as { type?: string })?.type ?? ''];
    if (known) {
      res.status(known[0]).json(errorBody(known[1], known[2]));
      return;
    }
    const status = Number((error as { status?: unknown })?.status);
    if (status >= 400 && status < 500) {
      res.status(status).json(errorBody('bad_request', 'The request could not be understood.'));
      return;
    }
    report(error, req.path);
    res.status(500).json(errorBody('internal_error', 'The simulator failed; the call may have ended.'));
  };
}

export const notFound: RequestHandler = (_req, res) => {
  res.status(404).json(errorBody('not_found', 'There is no such endpoint.'));
};

/** A POST whose body is not JSON would otherwise reach the handler as an empty object. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (req.method === 'POST' && !req.is('application/json') && Number(req.headers['content-length'] ?? 0) > 0) {
    next(new SimulatorError(415, 'unsupported_media_type', 'Send the body as application/json.'));
    return;
  }
  next();
};

export type PageLang = 'ja' | 'en';
const LANG_COOKIE = 'dp_lang';

/**
 * The page's language as the site picks it: ?lang= (remembered in the site's language cookie),
 * then that cookie, then Accept-Language, then the default.
 */
export function pickPageLang(req: Request, res: Response, fallback: PageLang): PageLang {
  const asked = req.query.lang;
  if (asked === 'ja' || asked === 'en') {
    res.cookie(LANG_COOKIE, asked, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 86400_000 });
    return asked;
  }
  const remembered = /(?:^|;\s*)dp_lang=(ja|en)(?:;|$)/.exec(req.headers.cookie ?? '')?.[1];
  if (remembered === 'ja' || remembered === 'en') return remembered;
  const accepted = req.acceptsLanguages('ja', 'en');
  return accepted === 'ja' || accepted === 'en' ? accepted : fallback;
}
