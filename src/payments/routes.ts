import express, { type Request, type Response, type Router } from 'express';
import type { CoreDeps } from '../deps.ts';
import { answeredBy, keptBy, runMerchantPost, type ApiResponse, type MerchantPostStep } from '../merchants/idempotency.ts';
import { authenticateMerchant } from '../merchants/merchants.ts';
import { listDeliveries, retryDelivery } from '../merchants/outbox.ts';
import { settlementDays } from '../merchants/settlement.ts';
import { createPaymentRequest, getPaymentRequest } from './payment-requests.ts';
import { checkCode, redeemCode, voidRedemption } from './redemption.ts';

// The merchant API is payments as a merchant's till sees them: payments builds on merchants
// (accounts, idempotency, the webhook outbox), never the other way round.

/**
 * A merchant POST's answer, written directly: the status, its headers and JSON are all known, and
 * Express's res.json (type lookup, charset rewrite, freshness check) adds nothing to them on the
 * API's hottest path.
 */
const send = (res: Response, result: ApiResponse & { replayed?: boolean }) => {
  if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
  const json = JSON.stringify(result.body) ?? '';
  res.statusCode = result.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
};

/** Runs a merchant POST under its (required) Idempotency-Key; `limited` ones take an attempt from the guessing allowance. */
const merchantPost = (deps: CoreDeps, req: Request, merchantId: string, step: MerchantPostStep, limited = false) =>
  runMerchantPost(deps, merchantId, { method: req.method, path: req.path, body: req.body, idempotencyKey: req.get('Idempotency-Key'), limited }, step);

/** Merchant JSON endpoints, mounted at /api/merchant straight under /api: the hot path passes as few routers as possible. */
export function merchantApiRouter(deps: CoreDeps): Router {
  const merchant = express.Router();
  merchant.use(async (req, res, next) => {
    res.locals.merchantId = await authenticateMerchant(deps, req.get('Authorization'));
    next();
  });
  // Redemptions first: the hot path matches on its first route.
  merchant.post('/redemptions', async (req, res) => {
    const { merchantId } = res.locals;
    const redeem = keptBy(201, (store, context) => redeemCode(deps, merchantId, req.body, context, store));
    send(res, await merchantPost(deps, req, merchantId, redeem, true));
  });
  merchant.get('/codes/:code', async (req, res) => {
    res.json(await checkCode(deps, res.locals.merchantId, req.params.code));
  });
  merchant.post('/redemptions/:redemptionId/void', async (req, res) => {
    const { merchantId } = res.locals;
    const { redemptionId } = req.params as { redemptionId: string };
    send(res, await merchantPost(deps, req, merchantId, keptBy(200, (store) => voidRedemption(deps, merchantId, redemptionId, store))));
  });
  merchant.post('/payment-requests', async (req, res) => {
    const { merchantId } = res.locals;
    send(res, await merchantPost(deps, req, merchantId, answeredBy(201, ({ op }) => createPaymentRequest(deps, merchantId, req.body, op))));
  });
  merchant.get('/payment-requests/:id', async (req, res) => {
    res.json(await getPaymentRequest(deps, res.locals.merchantId, req.params.id as string));
  });
  merchant.get('/webhook-deliveries', async (req, res) => {
    res.json(await listDeliveries(deps, res.locals.merchantId, req.query));
  });
  merchant.post('/webhook-deliveries/:eventId/retry', async (req, res) => {
    res.status(202).json(await retryDelivery(deps, res.locals.merchantId, req.params.eventId as string));
  });
  merchant.get('/settlement', async (_req, res) => {
    res.json({ merchantId: res.locals.merchantId, currency: deps.config.currency, days: await settlementDays(deps, res.locals.merchantId) });
  });
  return merchant;
}
