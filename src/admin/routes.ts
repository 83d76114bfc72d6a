import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { chargesPage } from '../accounts/history.ts';
import { settlementDays } from '../merchants/settlement.ts';
import { sendSettlementCsv } from '../merchant-dashboard/dashboard.ts';
import { pickLang } from '../web/lang.ts';
import type { ActivityKind } from '../observability/activity.ts';
import { CHARGE_KINDS } from '../observability/activity.ts';
import { auditPage, callsPage, codesPage, dashboard, isCharge, merchantRow, merchantsPage, membersPage, type AdminDeps } from './figures.ts';
import {
  adminLoginPage,
  auditPageView,
  callsPageView,
  codesPageView,
  dashboardPage,
  memberLedgerPage,
  merchantDetailPage,
  merchantsPageView,
  membersPage as membersPageView,
  type AdminView,
} from './pages.ts';
import { ADMIN_COOKIE, adminCookieOptions, checkAdminToken, endAdminSession, isAdmin, newAdminSession } from './session.ts';
import { ADMIN_WORDS } from './text.ts';
import { sendLedgerCsv } from './ledger-csv.ts';

const AUDIT_KINDS: ActivityKind[] = [
  'registration.created',
  'account.activated',
  'account.renewed',
  'account.pin_changed',
  'code.purchased',
  'code.redeemed',
  'code.redemption_voided',
  'payment_request.approved',
  'payment_request.declined',
  'merchant.created',
  'merchant.api_key_rotated',
];

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 100) : '');
const cursorOf = (req: Request) => (typeof req.query.cursor === 'string' ? req.query.cursor : undefined);

/** The operator console at /admin: pages behind the ADMIN_TOKEN sign-in; forms are same-origin only (app.ts). */
export function adminConsoleRouter(deps: AdminDeps): Router {
  const router = express.Router();
  const { config } = deps;
  const view = (req: Request, res: Response): AdminView => ({ lang: pickLang(req, res, config.defaultLocale), config });

  router.post('/admin/login', async (req, res) => {
    const lang = pickLang(req, res, config.defaultLocale);
    const result = await checkAdminToken(deps.redis, config, req.body?.token, req.ip);
    if (result !== 'ok') {
      res.status(result === 'locked' ? 429 : 401).send(adminLoginPage(lang, ADMIN_WORDS[lang][result === 'locked' ? 'locked' : 'wrong']));
      return;
    }
    res.cookie(ADMIN_COOKIE, await newAdminSession(deps.redis, config, deps.now()), adminCookieOptions(config)).redirect(303, '/admin');
  });
  router.post('/admin/logout', async (req, res) => {
    // The session ends on the server: a copy of the cookie kept elsewhere no longer opens anything.
    await endAdminSession(deps.redis, req);
    res.clearCookie(ADMIN_COOKIE, { path: '/admin' }).redirect(303, '/admin');
  });

  // Everything else needs a session: the front page shows the sign-in form, other pages go there.
  const requireAdmin: RequestHandler = async (req, res, next) => {
    res.set('Cache-Control', 'no-store');
    if (await isAdmin(deps.redis, req, config, deps.now())) return next();
    if (req.path === '/') return void res.send(adminLoginPage(pickLang(req, res, config.defaultLocale)));
    res.redirect(303, '/admin');
  };
  router.use('/admin', requireAdmin);

  router.get('/admin', async (req, res) => {
    res.send(dashboardPage(view(req, res), await dashboard(deps)));
  });
  router.get('/admin/members', async (req, res) => {
    const q = text(req.query.q);
    res.send(membersPageView(view(req, res), await membersPage(deps, cursorOf(req), q), q, cursorOf(req)));
  });
  router.get('/admin/ledger.csv', async (req, res) => {
    await sendLedgerCsv(deps, res, req.query);
  });
  router.get('/admin/ledger', async (req, res) => {
    const member = text(req.query.member).replace(/\D/g, '');
    if (member) {
      res.send(memberLedgerPage(view(req, res), member, await chargesPage(deps, member, cursorOf(req)), cursorOf(req)));
      return;
    }
    const kind = CHARGE_KINDS.has(text(req.query.kind)) ? text(req.query.kind) : '';
    const filter = kind ? (e: { kind: string }) => e.kind === kind : isCharge;
    res.send(auditPageView(view(req, res), '/admin/ledger', await auditPage(deps, cursorOf(req), filter), [...CHARGE_KINDS], kind, cursorOf(req)));
  });
  router.get('/admin/audit', async (req, res) => {
    const kind = (AUDIT_KINDS as string[]).includes(text(req.query.kind)) ? text(req.query.kind) : '';
    const result = await auditPage(deps, cursorOf(req), kind ? (e) => e.kind === kind : undefined);
    res.send(auditPageView(view(req, res), '/admin/audit', result, AUDIT_KINDS, kind, cursorOf(req)));
  });
  router.get('/admin/calls', async (req, res) => {
    res.send(callsPageView(view(req, res), await callsPage(deps, cursorOf(req)), cursorOf(req)));
  });
  router.get('/admin/codes', async (req, res) => {
    res.send(codesPageView(view(req, res), await codesPage(deps, cursorOf(req)), cursorOf(req)));
  });
  router.get('/admin/merchants', async (req, res) => {
    const q = text(req.query.q);
    res.send(merchantsPageView(view(req, res), await merchantsPage(deps, cursorOf(req), q), q, cursorOf(req)));
  });
  router.get('/admin/merchants/:merchantId', async (req, res, next) => {
    const { merchantId } = req.params;
    const row = /^\d{8}$/.test(merchantId) ? await merchantRow(deps, merchantId) : null;
    if (!row) return next();
    res.send(merchantDetailPage(view(req, res), row, await settlementDays(deps, merchantId)));
  });
  router.get('/admin/merchants/:merchantId/settlement.csv', async (req, res, next) => {
    const { merchantId } = req.params;
    if (!/^\d{8}$/.test(merchantId) || !(await merchantRow(deps, merchantId))) return next();
    await sendSettlementCsv(deps, res, merchantId, req.query);
  });
  return router;
}
