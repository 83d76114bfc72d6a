/**
 * Prometheus metrics (prom-client), one registry per process: an app instance is one process in
 * production; tests that start several apps in one process read deltas. Served by GET /metrics
 * (metrics-route.ts) behind METRICS_TOKEN, or on METRICS_PORT.
 */
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../logger.ts';
import { assignRequestId, requestLogFields } from '../http/request-context.ts';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'dialpass_' });

export const httpDuration = new Histogram({
  name: 'dialpass_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route pattern (not by URL: no IDs in labels)',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'dialpass_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome: delivered, retry (failed, will try again), failed (gave up)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const activations = new Counter({ name: 'dialpass_activations_total', help: 'Accounts activated by a call', registers: [registry] });

export const charges = new Counter({
  name: 'dialpass_charges_total',
  help: "Charges to members' lines by kind (activation, renewal, code_purchase, payment_approval)",
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const chargedAmount = new Counter({
  name: 'dialpass_charged_amount_total',
  help: 'Amount charged to members, in the smallest unit of CURRENCY, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const redemptions = new Counter({
  name: 'dialpass_redemptions_total',
  help: 'Payment code redemptions booked for merchants, and voids of them',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const redisErrors = new Counter({
  name: 'dialpass_redis_errors_total',
  help: 'Redis connection errors and failed commands the app noticed',
  labelNames: ['where'] as const,
  registers: [registry],
});

const VOICE_STEP = /^\/twilio\/[a-z0-9/-]{1,60}$/;

/**
 * The route pattern a request matched ("unmatched" otherwise), taken when the answer starts. Call
 * steps are dispatched by path inside the /twilio router, so their label is the step's path: only
 * requests signed by Twilio get that far (others are 403, "unmatched"), and Twilio asks only for
 * the paths the app gave it, so the labels stay few.
 */
function routeOf(req: Parameters<RequestHandler>[0], status: number): string {
  if (req.route?.path) return `${req.baseUrl}${String(req.route.path)}`;
  const path = (req.originalUrl ?? '').split('?')[0]!;
  return status !== 403 && VOICE_STEP.test(path) ? path : 'unmatched';
}

/**
 * Times every request and writes one `answered` line per request at debug level (requestId, and
 * the CallSid for call steps). The route is read when the answer has gone out: a handler that
 * answers leaves req.route and req.baseUrl as they were when it ran. One listener function is
 * shared by every response (no closure, no wrapped writeHead per request): this runs on every
 * webhook, where each allocation shows in the CPU per request. It also gives the request its ID
 * (X-Request-Id, request-context.ts), so every request passes one layer for both.
 */
export function timeRequests(logger: Logger): RequestHandler {
  function answered(this: Response): void {
    const req = this.req;
    const seconds = Number(process.hrtime.bigint() - (this.locals.startedAt as bigint)) / 1e9;
    const labels = { method: req.method, route: routeOf(req, this.statusCode), status: String(this.statusCode) };
    httpDuration.observe(labels, seconds);
    if (logger.isLevelEnabled('debug')) logger.debug({ ...requestLogFields(req, this), ...labels, ms: Math.round(seconds * 1e4) / 10 }, 'answered');
  }
  // The request ID is given here too: one middleware layer, not two, on every request.
  return (req, res, next) => {
    res.locals.startedAt = process.hrtime.bigint();
    assignRequestId(req, res);
    res.once('finish', answered);
    next();
  };
}
