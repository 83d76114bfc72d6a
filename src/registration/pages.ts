import { formatAmount } from '../shared/format.ts';
import { errorSummary, fieldAttrs, fieldError, type FieldErrors } from '../web/forms.ts';
import { dateTime, zoneName } from '../web/when.ts';
import { telLink } from '../web/phone.ts';
import type { Config } from '../config.ts';
import { html, page } from '../web/layout.ts';
import { MESSAGES, type WebLang } from '../web/messages.ts';
import { localeOf } from '../web/lang.ts';
import type { Registration } from './registration.ts';

/** The form; `errors` are the fields' own, `notice` a refusal of the whole form (too many, busy). */
export function registerFormPage(lang: WebLang, signedIn: boolean, values: { name?: string; email?: string; locale?: string } = {}, errors?: FieldErrors, notice?: string): string {
  const t = MESSAGES[lang];
  const voiceLocale = values.locale ?? localeOf(lang);
  const body = html`
<h1>${t.registerTitle}</h1>
<p class="lead">${t.registerIntro}</p>
${notice ? html`<p class="error" role="alert">${notice}</p>` : ''}
${errorSummary(lang, errors)}
<form class="card" method="post" action="/register" novalidate>
  <label for="name">${t.name}</label>
  ${fieldError(lang, 'name', errors)}
  <input id="name" name="name" type="text" autocomplete="name" maxlength="100" required value="${values.name ?? ''}"${fieldAttrs('name', errors)}>
  <label for="email">${t.email}</label>
  ${fieldError(lang, 'email', errors)}
  <input id="email" name="email" type="email" autocomplete="email" maxlength="254" required value="${values.email ?? ''}"${fieldAttrs('email', errors)}>
  <label for="locale">${t.voiceLanguage}</label>
  ${fieldError(lang, 'locale', errors)}
  <select id="locale" name="locale"${fieldAttrs('locale', errors)}>
    <option value="ja-JP"${voiceLocale === 'ja-JP' ? html` selected` : ''}>${t.japanese}</option>
    <option value="en-US"${voiceLocale === 'en-US' ? html` selected` : ''}>${t.english}</option>
  </select>
  <div><button class="primary" type="submit">${t.registerButton}</button></div>
</form>`;
  return page({ lang, title: errors ? `${t.errorPrefix} ${t.registerTitle}` : t.registerTitle, body, path: '/register', signedIn });
}

export function registeredPage(lang: WebLang, config: Config, registration: Registration): string {
  const t = MESSAGES[lang];
  const locale = localeOf(lang);
  const hours = Math.round(registration.validForSeconds / 3600);
  const body = html`
<h1>${t.registeredTitle}</h1>
<p class="lead">${t.registeredIntro}</p>
<div class="card">
  <dl class="facts">
    <dt>${t.provisionalId}</dt><dd class="big" data-testid="provisional-id">${registration.provisionalId}</dd>
    <dt>${t.password}</dt><dd class="big" data-testid="password">${registration.password}</dd>
    <dt>${t.numberToCall}</dt><dd class="big" data-testid="number-to-call">${telLink(registration.phoneNumber)}</dd>
    <dt>${t.validUntil}</dt><dd>${dateTime(Date.parse(registration.expiresAt), lang, config.timeZone)}${lang === 'ja' ? ` ${zoneName(config.timeZone)}` : ''} ${t.validFor(hours)}</dd>
  </dl>
</div>
<p class="warning">${t.passwordOnce}</p>
<h2>${t.whatToKey}</h2>
<p>${t.keySteps(registration.provisionalId)}</p>
<p>${t.chargeNote(formatAmount(config.activationCharge, config.currency, locale), config.accessPeriodDays)}</p>
<p class="notice">${t.formalIdByVoice}</p>
<div class="actions"><a class="button" href="/login">${t.login}</a></div>`;
  return page({ lang, title: t.registeredTitle, body, path: '/register' });
}
