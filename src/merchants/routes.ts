import { API_TEXT } from '../http/api-text.ts';
import express, { type Router } from 'express';
import type { CoreDeps } from '../deps.ts';
import { AppError } from '../http/errors.ts';
import { merchantIds } from '../identifiers/ids.ts';
import { createMerchant, getMerchant, requireAdmin } from './merchants.ts';
import { settlementCsv, settlementDays } from './settlement.ts';

/** Operator JSON endpoints, mounted at /api/admin. */
export function adminApiRouter(deps: CoreDeps): Router {
  const router = express.Router();
  router.post('/merchants', async (req, res) => {
    requireAdmin(deps.config, req.get('Authorization'));
    res.status(201).json(await createMerchant(deps, req.body));
  });

  router.get('/merchants/:merchantId/settlement.csv', async (req, res) => {
    requireAdmin(deps.config, req.get('Authorization'));
    const { merchantId } = req.params;
    if (merchantIds.check(merchantId) !== 'ok' || !(await getMerchant(deps.redis, merchantId))) {
      throw new AppError(404, 'unknown_merchant', API_TEXT.unknownMerchant);
    }
    const csv = settlementCsv(merchantId, deps.config.currency, await settlementDays(deps, merchantId));
    res.type('text/csv').set('Content-Disposition', `attachment; filename="settlement-${merchantId}.csv"`).send(csv);
  });
  return router;
}
