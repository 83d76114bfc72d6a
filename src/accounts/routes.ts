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
import { CARD_TEXT } from './text.ts';
import { confirmationBody, type FieldErrors } from '../web/forms.ts';
import { page } from '../web/layout.ts';
import type { WebLang } from '../web/messages.ts';
import { digitsAsTyped } from '../identifiers/ids.ts';
import type { Mailer } from './mailer.ts';
import { passwordResetRouter } from './reset-routes.ts';
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

/** The login form's errors, each on its field: what was missing or malformed, else the refusal on the formal ID. */
function loginErrors(lang: WebLang, body: Record<string, unknown> | undefined, error: AppError): FieldErrors {
  const t = MESSAGES[lang];
  if (error.code === 'invalid_input') {
    const errors: FieldErrors = {};
    const formalId = typeof body?.formalId === 'string' ? String(digitsAsTyped(body.formalId)) : '';
    if (!formalId) errors.formalId = t.fieldRequired(t.formalId);
    else if (!/^\d{1,32}$/.test(formalId)) errors.formalId = t.formalIdInvalid;
    if (typeof body?.password !== 'string' || !body.password) errors.password = t.fieldRequired(t.password);
    if (Object.keys(errors).length) return errors;
  }
  return { formalId: t.loginErrors[error.code] ?? t.loginErrors.invalid_credentials! };
}

export function accountPagesRouter(deps: CoreDeps & { mailer: Mailer }): Router {
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
      res.status(error.status).set(error.headers).send(loginPage(lang, loginErrors(lang, req.body, error), formalId));
    }
  });
  router.post('/logout', async (req, res) => {
    await destroySession(deps.redis, req.signedCookies?.[SESSION_COOKIE]);
    res.clearCookie(SESSION_COOKIE, { path: '/' }).redirect(303, '/');
  });

  /** The member page, whole: with a flash after a change, or with the PIN form's errors (422). */
  const renderService = async (req: express.Request, res: express.Response, memberId: string, pinErrors?: FieldErrors) => {
    const lang = pickLang(req, res, config.defaultLocale);
    const member = await memberStatus(deps, memberId);
    if (!member) return res.redirect(303, '/login');
    const flash = pinErrors ? undefined : req.query.pin === 'saved' ? { ok: MESSAGES[lang].pinSaved } : req.query.card === 'forgotten' ? { ok: cardForgottenMessage(lang) } : undefined;
    const cursors = { charges: req.query.charges, codes: req.query.codes, requests: req.query.requests };
    const [memberData, card] = await Promise.all([memberHistory(deps, memberId, cursors), keptCard(deps.redis, memberId)]);
    const history = historySections(lang, config, memberData, cursors);
    res.status(pinErrors ? 422 : 200).set('Cache-Control', 'no-store').send(servicePage(lang, config, member, flash, { history, card, pinErrors }));
  };
  router.get('/service', async (req, res) => {
    if (!res.locals.memberId) return res.redirect(303, '/login');
    await renderService(req, res, res.locals.memberId);
  });
  router.post('/service/card/forget', async (req, res) => {
    if (!res.locals.memberId) return res.redirect(303, '/login');
    if (req.body?.confirm !== 'yes') {
      // Asked first, without JavaScript: this page posts the same action again with confirm=yes.
      const lang = pickLang(req, res, config.defaultLocale);
      const w = CARD_TEXT[lang];
      const body = confirmationBody(lang, { title: w.forgetConfirmTitle, question: w.forgetConfirm, action: '/service/card/forget', button: w.forget, cancelHref: '/service' });
      return res.set('Cache-Control', 'no-store').send(page({ lang, title: w.forgetConfirmTitle, body, path: '/service', signedIn: true }));
    }
    await forgetCard(deps.redis, config, res.locals.memberId);
    res.redirect(303, '/service?card=forgotten');
  });
  // The PIN form posts to the member page itself (POST /service), so a PIN that is not accepted
  // comes back at the same address with the whole page; /service/pin is the older address.
  const setPin: express.RequestHandler = async (req, res) => {
    const lang = pickLang(req, res, config.defaultLocale);
    const memberId = res.locals.memberId;
    if (!memberId) return res.redirect(303, '/login');
    try {
      await setPhonePin(deps, memberId, req.body);
      res.redirect(303, '/service?pin=saved');
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await renderService(req, res, memberId, { pin: MESSAGES[lang].formErrors.invalid_pin! });
    }
  };
  router.post('/service', setPin);
  router.post('/service/pin', setPin);
  router.use(passwordResetRouter(deps));
  return router;
}
