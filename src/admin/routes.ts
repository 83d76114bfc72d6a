import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { chargesPage } from '../accounts/history.ts';
import { settlementDays } from '../merchants/settlement.ts';
import { sendSettlementCsv } from '../merchant-dashboard/dashboard.ts';
import { pickLang } from '../web/lang.ts';
import type { ActivityKind } from '../observability/activity.ts';
import { CHARGE_KINDS } from '../observability/activity.ts';
import { auditPage, callsPage, callStory, codesPage, dashboard, isCharge, merchantRow, merchantsPage, membersPage, type AdminDeps } from './figures.ts';
import { checkDateRange } from '../web/date-range.ts';
import {
  adminLoginPage,
  auditPageView,
  callDetailPage,
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
  'account.password_reset_sent',
  'account.password_reset',
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

  // The sign-in form posts to the console's own address (/admin): a refused token comes back at the
  // same address, its error beside the field; /admin/login is the older address.
  router.post(['/admin', '/admin/login'], async (req, res, next) => {
    if (req.path === '/admin' && (await isAdmin(deps.redis, req, config, deps.now()))) return next();
    const lang = pickLang(req, res, config.defaultLocale);
    const result = await checkAdminToken(deps.redis, config, req.body?.token, req.ip);
    if (result !== 'ok') {
      res.status(result === 'locked' ? 429 : 401).send(adminLoginPage(lang, { token: ADMIN_WORDS[lang][result === 'locked' ? 'locked' : 'wrong'] }));
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
    const range = checkDateRange(req.query, ADMIN_WORDS[view(req, res).lang]);
    if (Object.keys(range.errors).length) {
      // A bad range is a 400 on the page the form was on, the error beside its field.
      const page = await auditPage(deps, undefined, isCharge);
      return void res.status(400).send(auditPageView(view(req, res), '/admin/ledger', page, [...CHARGE_KINDS], { kind: '', range }));
    }
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
    res.send(auditPageView(view(req, res), '/admin/ledger', await auditPage(deps, cursorOf(req), filter), [...CHARGE_KINDS], { kind }, cursorOf(req)));
  });
  router.get('/admin/audit', async (req, res) => {
    const kind = (AUDIT_KINDS as string[]).includes(text(req.query.kind)) ? text(req.query.kind) : '';
    // ?call=<CallSid>: only what that call did (the call page links here, and every CallSid to its page).
    const call = /^[A-Za-z0-9]{2,64}$/.test(text(req.query.call)) ? text(req.query.call) : undefined;
    const filter = kind || call ? (e: { kind: string; actor: string }) => (!kind || e.kind === kind) && (!call || e.actor === `call:${call}`) : undefined;
    const result = await auditPage(deps, cursorOf(req), filter);
    res.send(auditPageView(view(req, res), '/admin/audit', result, AUDIT_KINDS, { kind, call }, cursorOf(req)));
  });
  router.get('/admin/calls', async (req, res) => {
    res.send(callsPageView(view(req, res), await callsPage(deps, cursorOf(req)), cursorOf(req)));
  });
  router.get('/admin/calls/:callSid', async (req, res, next) => {
    const { callSid } = req.params;
    if (!/^[A-Za-z0-9]{2,64}$/.test(callSid)) return next();
    res.send(callDetailPage(view(req, res), await callStory(deps, callSid)));
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
    const row = /^\d{8}$/.test(merchantId) ? await merchantRow(deps, merchantId) : null;
    if (!row) return next();
    const range = checkDateRange(req.query, ADMIN_WORDS[view(req, res).lang]);
    if (Object.keys(range.errors).length) return void res.status(400).send(merchantDetailPage(view(req, res), row, await settlementDays(deps, merchantId), range));
    await sendSettlementCsv(deps, res, merchantId, req.query);
  });
  return router;
}
