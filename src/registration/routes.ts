import type { CoreDeps } from '../deps.ts';
import express, { type Router } from 'express';
import { LOCALES, type Config } from '../config.ts';
import { AppError } from '../http/errors.ts';
import { limitedAddress } from '../http/client-address.ts';
import { pickLang } from '../web/lang.ts';
import { MESSAGES, type WebLang } from '../web/messages.ts';
import type { FieldErrors } from '../web/forms.ts';
import { z } from 'zod';
import { registeredPage, registerFormPage } from './pages.ts';
import { registerMember } from './registration.ts';

const emailSchema = z.email();

/** Which field is wrong, and how, in the visitor's language (the API says the same in English). */
function registrationErrors(lang: WebLang, body: Record<string, unknown>): FieldErrors {
  const t = MESSAGES[lang];
  const errors: FieldErrors = {};
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  const email = typeof body.email === 'string' ? body.email.trim() : '';
  if (!name) errors.name = t.fieldRequired(t.name);
  else if (name.length > 100) errors.name = t.nameTooLong;
  if (!email) errors.email = t.fieldRequired(t.email);
  else if (!emailSchema.safeParse(email).success || email.length > 254) errors.email = t.emailInvalid;
  if (body.locale !== undefined && !(LOCALES as readonly unknown[]).includes(body.locale)) errors.locale = t.voiceLanguageInvalid;
  return Object.keys(errors).length ? errors : { name: t.formErrors.invalid_input! };
}

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
      const values = req.body ?? {};
      if (error.code !== 'invalid_input') {
        return void res.status(error.status).set(error.headers).send(registerFormPage(lang, false, values, undefined, MESSAGES[lang].formErrors[error.code] ?? error.text[lang]));
      }
      res.status(error.status).set(error.headers).send(registerFormPage(lang, false, values, registrationErrors(lang, values)));
    }
  });
  return router;
}
