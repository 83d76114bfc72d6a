import express, { type Router } from 'express';
import { z } from 'zod';
import type { CoreDeps } from '../deps.ts';
import { limitedAddress } from '../http/client-address.ts';
import { digitsAsTyped } from '../identifiers/ids.ts';
import { pickLang } from '../web/lang.ts';
import { MESSAGES } from '../web/messages.ts';
import type { FieldErrors } from '../web/forms.ts';
import type { Mailer } from './mailer.ts';
import { checkResetLink, requestPasswordReset, resetPassword } from './password-reset.ts';
import { badLinkPage, forgotPage, resetDonePage, resetFormPage, resetSentPage } from './reset-pages.ts';
import { RESET_TEXT } from './text.ts';

const email = z.email();
const minutes = (seconds: number) => Math.max(1, Math.ceil(seconds / 60));

/** /password/forgot and /password/reset: a lost password, set anew by a link sent to the registered e-mail (password-reset.ts). */
export function passwordResetRouter(deps: CoreDeps & { mailer: Mailer }): Router {
  const router = express.Router();
  const { config } = deps;
  router.get('/password/forgot', (req, res) => {
    res.send(forgotPage(pickLang(req, res, config.defaultLocale), config));
  });
  router.post('/password/forgot', async (req, res) => {
    const lang = pickLang(req, res, config.defaultLocale);
    const t = MESSAGES[lang];
    const values = { formalId: typeof req.body?.formalId === 'string' ? req.body.formalId.slice(0, 32) : '', email: typeof req.body?.email === 'string' ? req.body.email.slice(0, 254) : '' };
    const errors: FieldErrors = {};
    const formalId = String(digitsAsTyped(values.formalId));
    if (!formalId) errors.formalId = t.fieldRequired(t.formalId);
    else if (!/^\d{9,32}$/.test(formalId)) errors.formalId = t.formalIdInvalid;
    if (!values.email.trim()) errors.email = t.fieldRequired(t.email);
    else if (!email.safeParse(values.email.trim()).success) errors.email = t.emailInvalid;
    if (Object.keys(errors).length) return void res.status(422).send(forgotPage(lang, config, values, errors));
    const outcome = await requestPasswordReset(deps, values, limitedAddress(req.ip));
    if (outcome.result === 'limited') {
      return void res.status(429).set('Retry-After', String(outcome.retryAfterSeconds)).send(forgotPage(lang, config, values, undefined, RESET_TEXT[lang].limited(minutes(outcome.retryAfterSeconds))));
    }
    if (outcome.result === 'unavailable') return void res.status(503).send(forgotPage(lang, config, values, undefined, RESET_TEXT[lang].unavailable));
    res.set('Cache-Control', 'no-store').send(resetSentPage(lang, config));
  });
  router.get('/password/reset', async (req, res) => {
    const lang = pickLang(req, res, config.defaultLocale);
    res.set('Cache-Control', 'no-store');
    const check = await checkResetLink(deps, req.query.token, limitedAddress(req.ip));
    if (check.result === 'ok') return void res.send(resetFormPage(lang, String(req.query.token)));
    if (check.result === 'limited') return void res.status(429).set('Retry-After', String(check.retryAfterSeconds)).send(badLinkPage(lang, RESET_TEXT[lang].limited(minutes(check.retryAfterSeconds))));
    res.status(check.result === 'expired' ? 410 : 404).send(badLinkPage(lang, check.result));
  });
  router.post('/password/reset', async (req, res) => {
    const lang = pickLang(req, res, config.defaultLocale);
    res.set('Cache-Control', 'no-store');
    const outcome = await resetPassword(deps, req.body?.token, limitedAddress(req.ip));
    if (outcome.result === 'done') return void res.send(resetDonePage(lang, outcome.password));
    if (outcome.result === 'limited') return void res.status(429).set('Retry-After', String(outcome.retryAfterSeconds)).send(badLinkPage(lang, RESET_TEXT[lang].limited(minutes(outcome.retryAfterSeconds))));
    res.status(outcome.result === 'expired' ? 410 : 404).send(badLinkPage(lang, outcome.result));
  });
  return router;
}
