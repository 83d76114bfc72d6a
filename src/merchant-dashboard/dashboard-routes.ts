import express, { type Request, type Response, type Router } from 'express';
import { AppError } from '../http/errors.ts';
import type { PaymentRequestStatus } from '../payments/payment-requests.ts';
import { pickLang } from '../web/lang.ts';
import {
  endMerchantSession,
  MERCHANT_COOKIE,
  merchantCookieOptions,
  openMerchantSession,
  merchantOfSession,
  eventDetail,
  paymentRequestsPage,
  redemptionRow,
  redemptionsPage,
  REQUEST_STATUSES,
  sendSettlementCsv,
  settlementByMonth,
  signInMerchant,
  type MerchantSession,
} from './dashboard.ts';
import {
  apiKeyView,
  eventView,
  merchantSignInPage,
  owedPage,
  redemptionsView,
  requestsView,
  rotateConfirmView,
  sentAgainMessage,
  signInError,
  voidConfirmView,
  webhooksView,
  type DashboardView,
} from './dashboard-pages.ts';
import { randomUUID } from 'node:crypto';
import { keptBy, runMerchantPost } from '../merchants/idempotency.ts';
import { voidRedemption } from '../payments/redemption.ts';
import { checkDateRange } from '../web/date-range.ts';
import { DASHBOARD_TEXT } from './text.ts';
import { apiKeyHash, endKeyOverlap, getMerchant, rotateApiKey } from '../merchants/merchants.ts';
import type { CoreDeps } from '../deps.ts';
import { listDeliveries, retryDelivery } from '../merchants/outbox.ts';
import { settlementDays } from '../merchants/settlement.ts';

const cursorOf = (req: Request) => (typeof req.query.cursor === 'string' ? req.query.cursor.slice(0, 300) : undefined);

/**
 * The merchant dashboard at /merchant: signed in with the merchant's API key (a signed, SameSite=Strict
 * cookie, see dashboard.ts); its forms are same-origin only (app.ts). Each page is one function's data.
 */
export function merchantDashboardRouter(deps: CoreDeps): Router {
  const router = express.Router();
  const { config } = deps;

  // The sign-in form posts to the dashboard's own address (/merchant), so a refused key comes back
  // at the same address; /merchant/login is the older address.
  router.post(['/merchant', '/merchant/login'], async (req, res, next) => {
    if (req.path === '/merchant' && (await merchantOfSession(deps, req))) return next();
    const lang = pickLang(req, res, config.defaultLocale);
    const signIn = await signInMerchant(deps, req.body?.apiKey, req.ip);
    if (signIn.result !== 'ok') {
      res.status(signIn.result === 'locked' ? 429 : 401).send(merchantSignInPage(lang, signInError(lang, signIn.result)));
      return;
    }
    res.cookie(MERCHANT_COOKIE, signIn.cookie, merchantCookieOptions(config.publicBaseUrl)).redirect(303, '/merchant');
  });
  router.post('/merchant/logout', async (req, res) => {
    await endMerchantSession(deps, req);
    res.clearCookie(MERCHANT_COOKIE, { path: '/merchant' }).redirect(303, '/merchant');
  });

  router.use('/merchant', async (req, res, next) => {
    res.set('Cache-Control', 'no-store');
    const session = await merchantOfSession(deps, req);
    const merchant = session ? await getMerchant(deps.redis, session.merchantId) : null;
    if (merchant) {
      res.locals.session = session;
      res.locals.dashboard = { lang: pickLang(req, res, config.defaultLocale), config, merchantId: merchant.merchantId, merchantName: merchant.name } satisfies DashboardView;
      return next();
    }
    if (req.path === '/' && req.method === 'GET') return void res.send(merchantSignInPage(pickLang(req, res, config.defaultLocale)));
    res.redirect(303, '/merchant');
  });
  const viewOf = (res: Response) => res.locals.dashboard as DashboardView;

  router.get('/merchant', async (_req, res) => {
    const view = viewOf(res);
    const days = await settlementDays(deps, view.merchantId);
    res.send(owedPage(view, days, settlementByMonth(days)));
  });
  router.get('/merchant/settlement.csv', async (req, res) => {
    const view = viewOf(res);
    const range = checkDateRange(req.query, DASHBOARD_TEXT[view.lang]);
    if (Object.keys(range.errors).length) {
      // A bad range: 400, the owed page again with the error beside its field.
      const days = await settlementDays(deps, view.merchantId);
      return void res.status(400).send(owedPage(view, days, settlementByMonth(days), range));
    }
    await sendSettlementCsv(deps, res, view.merchantId, req.query);
  });
  router.get('/merchant/redemptions', async (req, res) => {
    const view = viewOf(res);
    const flash = req.query.voided === '1' ? { ok: DASHBOARD_TEXT[view.lang].voidedNotice } : undefined;
    res.send(redemptionsView(view, await redemptionsPage(deps, view.merchantId, cursorOf(req)), cursorOf(req), flash));
  });
  /**
   * Void from the dashboard: the first press asks (no JavaScript needed) and the confirmation
   * carries an Idempotency-Key made when it was shown; the void then runs through the API's own
   * runMerchantPost with that key, so a double press or a resent form voids once and gets the
   * first answer again, exactly as POST /api/merchant/redemptions/{id}/void does.
   */
  router.post('/merchant/redemptions/:redemptionId/void', async (req, res, next) => {
    const view = viewOf(res);
    const redemptionId = req.params.redemptionId as string;
    const row = await redemptionRow(deps, view.merchantId, redemptionId);
    if (!row) return next();
    const idempotencyKey = typeof req.body?.idempotencyKey === 'string' ? req.body.idempotencyKey.slice(0, 255) : '';
    if (req.body?.confirm !== 'yes' || !idempotencyKey) return void res.send(voidConfirmView(view, row, `dashboard-void-${randomUUID()}`));
    const path = `/redemptions/${redemptionId}/void`;
    try {
      const result = await runMerchantPost(deps, view.merchantId, { method: 'POST', path, body: {}, idempotencyKey }, keptBy(200, (store) => voidRedemption(deps, view.merchantId, redemptionId, store)));
      if (result.status < 300) return void res.redirect(303, '/merchant/redemptions?voided=1');
      const message = (result.body as { error?: { message?: string } })?.error?.message ?? String(result.status);
      res.status(result.status).send(redemptionsView(view, await redemptionsPage(deps, view.merchantId, undefined), undefined, { error: DASHBOARD_TEXT[view.lang].voidFailed(message) }));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      res.status(error.status).send(redemptionsView(view, await redemptionsPage(deps, view.merchantId, undefined), undefined, { error: DASHBOARD_TEXT[view.lang].voidFailed(error.text[view.lang]) }));
    }
  });
  router.get('/merchant/requests', async (req, res) => {
    const view = viewOf(res);
    const status = REQUEST_STATUSES.find((s) => s === req.query.status) as PaymentRequestStatus | undefined;
    res.send(requestsView(view, await paymentRequestsPage(deps, view.merchantId, cursorOf(req), status), status, cursorOf(req)));
  });
  router.get('/merchant/webhooks', async (req, res) => {
    const view = viewOf(res);
    const cursor = cursorOf(req);
    const page = await listDeliveries(deps, view.merchantId, { cursor: cursor && /^\d{1,15}$/.test(cursor) ? cursor : undefined, limit: 25 });
    res.send(webhooksView(view, page.deliveries, page.nextCursor, cursor, req.query.sent === '1' ? sentAgainMessage(view.lang) : undefined));
  });
  router.get('/merchant/webhooks/:eventId', async (req, res, next) => {
    const view = viewOf(res);
    const detail = await eventDetail(deps, view.merchantId, req.params.eventId as string);
    if (!detail) return next();
    res.send(eventView(view, detail));
  });
  router.post('/merchant/webhooks/:eventId/retry', async (req, res) => {
    try {
      await retryDelivery(deps, viewOf(res).merchantId, req.params.eventId as string);
    } catch (error) {
      // Still being delivered (or unknown): the list shows its state as it is.
      if (!(error instanceof AppError)) throw error;
    }
    res.redirect(303, '/merchant/webhooks?sent=1');
  });
  router.get('/merchant/api-key', (_req, res) => {
    res.send(apiKeyView(viewOf(res)));
  });
  const sessionOf = (res: Response) => res.locals.session as MerchantSession;
  router.post('/merchant/api-key', async (req, res) => {
    const view = viewOf(res);
    const session = sessionOf(res);
    // A session opened with a key in its overlap (perhaps the leaked one) may not change the keys.
    if (!session.current) return void res.status(403).send(apiKeyView(view, undefined, 'notCurrent'));
    // Asked first, without JavaScript: the confirmation posts again with confirm=yes.
    if (req.body?.confirm !== 'yes') return void res.send(rotateConfirmView(view));
    const rotated = await rotateApiKey(deps, view.merchantId, session.keyHash);
    // The session was opened with the old key: it would end with the overlap, so a new one is opened with the new key.
    await endMerchantSession(deps, req);
    const cookie = await openMerchantSession(deps, view.merchantId, apiKeyHash(rotated.apiKey, config.hashPepper));
    res.cookie(MERCHANT_COOKIE, cookie, merchantCookieOptions(config.publicBaseUrl));
    res.send(apiKeyView(view, rotated));
  });
  /** "Revoke the old key now": the key in its overlap stops at once, and every session opened with it ends with it. */
  router.post('/merchant/api-key/revoke-previous', async (_req, res) => {
    const view = viewOf(res);
    const session = sessionOf(res);
    if (!session.current) return void res.status(403).send(apiKeyView(view, undefined, 'notCurrent'));
    await endKeyOverlap(deps, view.merchantId, session.keyHash);
    res.send(apiKeyView(view, undefined, 'previousRevoked'));
  });
  return router;
}
