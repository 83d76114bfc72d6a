import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';

/** What every log line written while answering a request carries (docs/CONTRACT.md). */
export interface RequestLogFields {
  requestId?: string;
  /** In a call step: the call it belongs to. */
  callSid?: string;
}

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;
const CALL_SID = /^CA[0-9a-f]{32}$/;

/**
 * Gives each request an ID (a proxy's X-Request-Id if it looks like one) and answers with it.
 * The ID travels on the response, not in an AsyncLocalStorage: on Node 20 an active
 * AsyncLocalStorage installs promise hooks that cost every webhook about a quarter of its CPU
 * (measured: a claim 303 → 228 µs without it, docs/PERFORMANCE.md). Log lines written while
 * answering take their fields from `requestLogFields(req, res)` instead.
 */
export function assignRequestId(req: Request, res: Response): void {
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
  res.locals.requestId = requestId;
  res.setHeader('X-Request-Id', requestId);
}

/** `assignRequestId` as a middleware of its own (the app runs it inside timeRequests: one layer fewer per request). */
export const withRequestId: RequestHandler = (req, res, next) => {
  assignRequestId(req, res);
  next();
};

/** The request ID and, for a Twilio webhook whose body is read, its CallSid: spread into a log line. */
export function requestLogFields(req: Request, res: Response): RequestLogFields {
  const fields: RequestLogFields = {};
  const requestId = res.locals.requestId as unknown;
  if (typeof requestId === 'string') fields.requestId = requestId;
  const callSid = (req.body as Record<string, unknown> | undefined)?.CallSid;
  if (typeof callSid === 'string' && CALL_SID.test(callSid)) fields.callSid = callSid;
  return fields;
}
