import { API_TEXT } from '../http/api-text.ts';
import express, { type Router } from 'express';
import type { CoreDeps } from '../deps.ts';
import { AppError } from '../http/errors.ts';
import { merchantIds } from '../identifiers/ids.ts';
import { createMerchant, getMerchant, requireAdmin, resetApiKeys } from './merchants.ts';
import { checkDateRange } from '../web/date-range.ts';
import { endSessionsOf } from '../web/sessions.ts';
import { settlementCsv, settlementDays } from './settlement.ts';

/** Operator JSON endpoints, mounted at /api/admin. */
export function adminApiRouter(deps: CoreDeps): Router {
  const router = express.Router();
  router.post('/merchants', async (req, res) => {
    await requireAdmin(deps, req.get('Authorization'), req.ip);
    res.status(201).json(await createMerchant(deps, req.body));
  });

  /** A leaked key: every key of the merchant stops at once, its dashboard sessions end, and a new key is shown once. */
  router.post('/merchants/:merchantId/revoke-keys', async (req, res) => {
    await requireAdmin(deps, req.get('Authorization'), req.ip);
    const { merchantId } = req.params;
    if (merchantIds.check(merchantId) !== 'ok') throw new AppError(404, 'unknown_merchant', API_TEXT.unknownMerchant);
    const { apiKey } = await resetApiKeys(deps, merchantId);
    await endSessionsOf(deps.redis, 'merchant', merchantId);
    res.status(200).json({ merchantId, apiKey });
  });

  router.get('/merchants/:merchantId/settlement.csv', async (req, res) => {
    await requireAdmin(deps, req.get('Authorization'), req.ip);
    const { merchantId } = req.params;
    if (merchantIds.check(merchantId) !== 'ok' || !(await getMerchant(deps.redis, merchantId))) {
      throw new AppError(404, 'unknown_merchant', API_TEXT.unknownMerchant);
    }
    // The console's range check (web/date-range.ts): a day that is not real, or from after to, is
    // refused rather than ignored (it used to answer every day, as if no range had been asked).
    const range = checkDateRange(req.query, { badDate: 'day', badRange: 'backwards' });
    const problems = (['from', 'to'] as const).flatMap((field) => {
      const wrong = range.errors[field];
      return wrong ? [wrong === 'backwards' ? API_TEXT.backwardsRange.en : API_TEXT.badDay(field).en] : [];
    });
    if (problems.length) throw new AppError(400, 'invalid_input', API_TEXT.invalidInput(problems.join('; ')));
    const from = range.values.from ?? '0000-00-00';
    const to = range.values.to ?? '9999-99-99';
    const days = (await settlementDays(deps, merchantId)).filter((d) => d.date >= from && d.date <= to);
    const csv = settlementCsv(merchantId, deps.config.currency, days);
    res.type('text/csv').set('Content-Disposition', `attachment; filename="settlement-${merchantId}.csv"`).send(csv);
  });
  return router;
}
