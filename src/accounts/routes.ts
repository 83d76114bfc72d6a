import { API_TEXT } from '../http/api-text.ts';
import type { CoreDeps } from '../deps.ts';
import express, { type CookieOptions, type RequestHandler, type Router } from 'express';
import type { Config } from '../config.ts';
import { AppError } from '../http/errors.ts';
import { limitedAddress } from '../http/client-address.ts';
import { pickLang } from '../web/lang.ts';
import { MESSAGES } from '../web/messages.ts';
import { logIn, memberStatus, setPhonePin } from './login.ts';
import { loginPage, servicePage } from './pages.ts';
import { cardForgottenMessage } from './card-section.ts';
import { forgetCard, keptCard } from './kept-card.ts';
import { memberHistory } from './history.ts';
import { historySections } from './history-page.ts';
import { destroySession, memberForSession, SESSION_COOKIE } from './sessions.ts';

function sessionCookie(config: Config): CookieOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.publicBaseUrl.startsWith('https://'),
    signed: true,
    maxAge: config.sessionTtlSeconds * 1000,
    path: '/',
  };
}

/** Puts the signed-in member's ID (if any) in res.locals.memberId. */
export function loadMember(deps: CoreDeps): RequestHandler {
  return async (req, res, next) => {
    const token = req.signedCookies?.[SESSION_COOKIE];
    res.locals.memberId = typeof token === 'string' ? await memberForSession(deps.redis, token) : null;
    next();
  };
}

const requireMemberApi: RequestHandler = (_req, res, next) => {
  if (!res.locals.memberId) throw new AppError(401, 'not_signed_in', API_TEXT.notSignedIn);
  next();
};

export function accountsApiRouter(deps: CoreDeps): Router {
  const router = express.Router();
  router.post('/login', async (req, res) => {
    const result = await logIn(deps, req.body, limitedAddress(req.ip));
    res.cookie(SESSION_COOKIE, result.sessionToken, sessionCookie(deps.config));
    res.json({ formalId: result.formalId, accessExpiresAt: new Date(result.accessExpiresAt).toISOString() });
  });
  router.post('/logout', async (req, res) => {
    await destroySession(deps.redis, req.signedCookies?.[SESSION_COOKIE]);
    res.clearCookie(SESSION_COOKIE, { path: '/' }).status(204).end();
  });
  router.get('/me', requireMemberApi, async (_req, res) => {
    const member = await memberStatus(deps, res.locals.memberId);
    if (!member) throw new AppError(401, 'not_signed_in', API_TEXT.notSignedIn);
    res.json({ formalId: member.formalId, accessExpiresAt: new Date(member.accessExpiresAt).toISOString(), active: member.active });
  });
  router.put('/me/pin', requireMemberApi, async (req, res) => {
    await setPhonePin(deps, res.locals.memberId, req.body);
    res.status(204).end();
  });
  return router;
}

export function accountPagesRouter(deps: CoreDeps): Router {
  const router = express.Router();
  const { config } = deps;
  router.get('/login', (req, res) => {
    if (res.locals.memberId) return res.redirect(303, '/service');
    res.send(loginPage(pickLang(req, res, config.defaultLocale)));
  });
  router.post('/login', async (req, res) => {
    const lang = pickLang(req, res, config.defaultLocale);
    try {
      const result = await logIn(deps, req.body, limitedAddress(req.ip));
      res.cookie(SESSION_COOKIE, result.sessionToken, sessionCookie(config));
      res.redirect(303, '/service');
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const formalId = typeof req.body?.formalId === 'string' ? req.body.formalId.slice(0, 32) : '';
      res.status(error.status).set(error.headers).send(loginPage(lang, MESSAGES[lang].loginErrors[error.code] ?? MESSAGES[lang].loginErrors.invalid_credentials!, formalId));
    }
  });
  router.post('/logout', async (req, res) => {
    await destroySession(deps.redis, req.signedCookies?.[SESSION_COOKIE]);
    res.clearCookie(SESSION_COOKIE, { path: '/' }).redirect(303, '/');
  });
  router.get('/service', async (req, res) => {
    const lang = pickLang(req, res, config.defaultLocale);
    const member = res.locals.memberId ? await memberStatus(deps, res.locals.memberId) : null;
    if (!member) return res.redirect(303, '/login');
    const flash = req.query.pin === 'saved' ? { ok: MESSAGES[lang].pinSaved } : req.query.card === 'forgotten' ? { ok: cardForgottenMessage(lang) } : undefined;
    const cursors = { charges: req.query.charges, codes: req.query.codes, requests: req.query.requests };
    const [memberData, card] = await Promise.all([memberHistory(deps, res.locals.memberId, cursors), keptCard(deps.redis, res.locals.memberId)]);
    const history = historySections(lang, config, memberData, cursors);
    res.set('Cache-Control', 'no-store').send(servicePage(lang, config, member, flash, { history, card }));
  });
  router.post('/service/card/forget', async (_req, res) => {
    if (!res.locals.memberId) return res.redirect(303, '/login');
    await forgetCard(deps.redis, config, res.locals.memberId);
    res.redirect(303, '/service?card=forgotten');
  });
  router.post('/service/pin', async (req, res) => {
    const lang = pickLang(req, res, config.defaultLocale);
    const memberId = res.locals.memberId;
    if (!memberId) return res.redirect(303, '/login');
    try {
      await setPhonePin(deps, memberId, req.body);
      res.redirect(303, '/service?pin=saved');
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const member = await memberStatus(deps, memberId);
      if (!member) return res.redirect(303, '/login');
      res.status(error.status).send(servicePage(lang, config, member, { error: MESSAGES[lang].formErrors.invalid_pin! }));
    }
  });
  return router;
}
