import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

export interface RequestContext {
  requestId: string;
  /** Set once a Twilio webhook's body is read, so every log line of a call step names its call. */
  callSid?: string;
}

/** What the logger adds to every line written while a request is handled (logger.ts mixin). */
export const requestContext = new AsyncLocalStorage<RequestContext>();

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Gives each request an ID (a proxy's X-Request-Id if it looks like one) and answers with it. */
export const withRequestContext: RequestHandler = (req, res, next) => {
  const incoming = req.get('X-Request-Id');
  const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', requestId);
  requestContext.run({ requestId }, next);
};

export function noteCallSid(callSid: unknown): void {
  const context = requestContext.getStore();
  if (context && typeof callSid === 'string' && /^CA[0-9a-f]{32}$/.test(callSid)) context.callSid = callSid;
}
