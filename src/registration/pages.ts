import { formatAmount, formatDateTimeWithZone } from '../shared/format.ts';
import type { Config } from '../config.ts';
import { html, page } from '../web/layout.ts';
import { MESSAGES, type WebLang } from '../web/messages.ts';
import { localeOf } from '../web/lang.ts';
import type { Registration } from './registration.ts';

export function registerFormPage(lang: WebLang, signedIn: boolean, values: { name?: string; email?: string; locale?: string } = {}, error?: string): string {
  const t = MESSAGES[lang];
  const voiceLocale = values.locale ?? localeOf(lang);
  const body = html`
<h1>${t.registerTitle}</h1>
<p class="lead">${t.registerIntro}</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="card" method="post" action="/register" novalidate>
  <label for="name">${t.name}</label>
  <input id="name" name="name" type="text" autocomplete="name" maxlength="100" required value="${values.name ?? ''}">
  <label for="email">${t.email}</label>
  <input id="email" name="email" type="email" autocomplete="email" maxlength="254" required value="${values.email ?? ''}">
  <label for="locale">${t.voiceLanguage}</label>
  <select id="locale" name="locale">
    <option value="ja-JP"${voiceLocale === 'ja-JP' ? html` selected` : ''}>${t.japanese}</option>
    <option value="en-US"${voiceLocale === 'en-US' ? html` selected` : ''}>${t.english}</option>
  </select>
  <div><button class="primary" type="submit">${t.registerButton}</button></div>
</form>`;
  return page({ lang, title: t.registerTitle, body, path: '/register', signedIn });
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
    <dt>${t.numberToCall}</dt><dd class="big"><a href="tel:${registration.phoneNumber.replace(/[^+\d]/g, '')}">${registration.phoneNumber}</a></dd>
    <dt>${t.validUntil}</dt><dd>${formatDateTimeWithZone(Date.parse(registration.expiresAt), locale, config.timeZone)} ${t.validFor(hours)}</dd>
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
