import express, { type Request, type Response, type Router } from 'express';
import { AppError } from '../http/errors.ts';
import { merchantIds } from '../identifiers/ids.ts';
import { createPaymentRequest, getPaymentRequest } from '../payments/payment-requests.ts';
import { checkCode, redeemCode, voidRedemption } from '../payments/redemption.ts';
import { idempotent, type ApiResponse } from './idempotency.ts';
import { assertNotBlocked } from './rate-limit.ts';
import { authenticateMerchant, createMerchant, getMerchant, requireAdmin, type MerchantDeps } from './merchants.ts';
import { settlementCsv, settlementDays } from './settlement.ts';

const send = (res: Response, result: ApiResponse & { replayed?: boolean }) => {
  if (result.replayed) res.set('Idempotent-Replayed', 'true');
  res.status(result.status).set(result.headers ?? {}).json(result.body);
};

/** Runs a merchant POST under its Idempotency-Key (if any). */
const merchantPost = (deps: MerchantDeps, req: Request, merchantId: string, run: (idempotencyKey?: string) => Promise<ApiResponse>) => {
  const idempotencyKey = req.get('Idempotency-Key');
  return idempotent(deps, merchantId, idempotencyKey, { method: req.method, path: req.path, body: req.body }, () => run(idempotencyKey));
};

/** Operator and merchant JSON endpoints, mounted under /api. */
export function merchantsApiRouter(deps: MerchantDeps): Router {
  const router = express.Router();

  router.post('/admin/merchants', async (req, res) => {
    requireAdmin(deps.config, req.get('Authorization'));
    res.status(201).json(await createMerchant(deps, req.body));
  });

  router.get('/admin/merchants/:merchantId/settlement.csv', async (req, res) => {
    requireAdmin(deps.config, req.get('Authorization'));
    const { merchantId } = req.params;
    if (merchantIds.check(merchantId) !== 'ok' || !(await getMerchant(deps.redis, merchantId))) {
      throw new AppError(404, 'unknown_merchant', 'There is no such merchant.');
    }
    const csv = settlementCsv(merchantId, deps.config.currency, await settlementDays(deps, merchantId));
    res.type('text/csv').set('Content-Disposition', `attachment; filename="settlement-${merchantId}.csv"`).send(csv);
  });

  const merchant = express.Router();
  merchant.use(async (req, res, next) => {
    res.locals.merchantId = await authenticateMerchant(deps, req.get('Authorization'));
    next();
  });
  merchant.get('/codes/:code', async (req, res) => {
    res.json(await checkCode(deps, res.locals.merchantId, req.params.code));
  });
  merchant.post('/redemptions', async (req, res) => {
    const merchantId: string = res.locals.merchantId;
    // Started now so the rate-limit read shares a Redis round trip with the Idempotency-Key lookup.
    const notBlocked = assertNotBlocked(deps, merchantId);
    notBlocked.catch(() => undefined);
    send(res, await merchantPost(deps, req, merchantId, async (key) => ({ status: 201, body: await redeemCode(deps, merchantId, req.body, key, notBlocked) })));
  });
  merchant.post('/redemptions/:redemptionId/void', async (req, res) => {
    const { redemptionId } = req.params as { redemptionId: string };
    send(res, await merchantPost(deps, req, res.locals.merchantId, async () => ({ status: 200, body: await voidRedemption(deps, res.locals.merchantId, redemptionId) })));
  });
  merchant.post('/payment-requests', async (req, res) => {
    send(res, await merchantPost(deps, req, res.locals.merchantId, async (key) => ({ status: 201, body: await createPaymentRequest(deps, res.locals.merchantId, req.body, key) })));
  });
  merchant.get('/payment-requests/:id', async (req, res) => {
    res.json(await getPaymentRequest(deps, res.locals.merchantId, req.params.id as string));
  });
  merchant.get('/settlement', async (_req, res) => {
    res.json({ merchantId: res.locals.merchantId, currency: deps.config.currency, days: await settlementDays(deps, res.locals.merchantId) });
  });
  router.use('/merchant', merchant);
  return router;
}
