import type { CoreDeps } from '../deps.ts';
import express, { type Router } from 'express';
import type { Config } from '../config.ts';
import { AppError } from '../http/errors.ts';
import { limitedAddress } from '../http/client-address.ts';
import { pickLang } from '../web/lang.ts';
import { MESSAGES } from '../web/messages.ts';
import { registeredPage, registerFormPage } from './pages.ts';
import { registerMember } from './registration.ts';

export function registrationApiRouter(deps: CoreDeps): Router {
  const router = express.Router();
  router.post('/registrations', async (req, res) => {
    const registration = await registerMember(deps, req.body, limitedAddress(req.ip));
    const { provisionalId, password, phoneNumber, expiresAt } = registration;
    res.status(201).set('Cache-Control', 'no-store').json({ provisionalId, password, phoneNumber, expiresAt });
  });
  return router;
}

export function registrationPagesRouter(deps: CoreDeps & { config: Config }): Router {
  const router = express.Router();
  router.get('/register', (req, res) => {
    res.send(registerFormPage(pickLang(req, res, deps.config.defaultLocale), Boolean(res.locals.memberId)));
  });
  router.post('/register', async (req, res) => {
    const lang = pickLang(req, res, deps.config.defaultLocale);
    try {
      const registration = await registerMember(deps, req.body, limitedAddress(req.ip));
      res.status(201).set('Cache-Control', 'no-store').send(registeredPage(lang, deps.config, registration));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      res.status(error.status).set(error.headers).send(registerFormPage(lang, false, req.body ?? {}, MESSAGES[lang].formErrors[error.code] ?? error.text[lang]));
    }
  });
  return router;
}
