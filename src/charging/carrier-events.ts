import { timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import type { CoreDeps } from '../deps.ts';
import { keys } from '../store/keys.ts';
import { settleSoon } from './card-charges.ts';

/**
 * POST /carrier-billing/events: the mobile operator's status notifications (CAMARA Carrier
 * Billing: CloudEvents 1.0, `application/cloudevents+json`, to the `sink` given with each payment,
 * with the `sinkCredential` bearer token: CARRIER_BILLING_SINK_TOKEN). Each event is applied once
 * (its id), and never contradicts what a call told the caller: it only brings the charge's
 * settlement forward, which books nothing and reads the payment at the operator (a payment the call
 * already booked is left as it is; one the call could not confirm is refunded, as the caller was
 * told; a reservation let go is let go).
 */
const EVENT_TYPES = new Set(['payment-pending-validation', 'payment-reserved', 'payment-completed', 'payment-cancelled', 'payment-denied'].map((t) => `org.camaraproject.carrier-billing.v0.${t}`));

/** Twilio's final CallStatus values: the call is over. */
const ENDED = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

const error = (res: express.Response, status: number, code: string, message: string) => res.status(status).json({ error: { code, message } });

export function carrierEventsRouter(deps: CoreDeps): Router {
  const router = express.Router();
  const token = deps.config.charging.carrierBilling?.sinkToken;
  router.post('/carrier-billing/events', express.json({ type: ['application/cloudevents+json', 'application/json'], limit: '64kb' }), async (req, res) => {
    const given = Buffer.from(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
    const expected = Buffer.from(token ?? '');
    if (!token || given.length !== expected.length || !timingSafeEqual(given, expected)) return error(res, 401, 'unauthenticated', 'A valid bearer token (the sinkCredential) is required.');
    const event = req.body as { id?: unknown; type?: unknown; specversion?: unknown; data?: { paymentId?: unknown } };
    if (typeof event?.id !== 'string' || !event.id || event.specversion !== '1.0' || typeof event.type !== 'string' || typeof event.data?.paymentId !== 'string') {
      return error(res, 400, 'invalid_event', 'A CloudEvent 1.0 with an id, a type and data.paymentId is expected.');
    }
    if (!EVENT_TYPES.has(event.type)) return res.status(204).end();
    // Applied once: a resent event (the same id) is acknowledged and ignored.
    if ((await deps.redis.set(keys.carrierEventSeen(event.id), '1', 'EX', 7 * 86400, 'NX')) !== 'OK') return res.status(204).end();
    // Only a charge whose call is over is brought forward: while the call goes on, its step may still
    // be confirming it, and what it tells the caller stands (the lease protects it).
    const charge = await deps.redis.get(keys.carrierPayment(event.data.paymentId));
    const callSid = charge?.split('|')[1];
    if (charge && callSid && ENDED.has((await deps.redis.hget(keys.call(callSid), 'CallStatus')) ?? '')) await settleSoon(deps, charge);
    res.status(204).end();
  });
  return router;
}
