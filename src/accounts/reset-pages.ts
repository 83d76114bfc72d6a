import type { Config } from '../config.ts';
import { html, page } from '../web/layout.ts';
import { MESSAGES, type WebLang } from '../web/messages.ts';
import { errorSummary, fieldAttrs, fieldError, type FieldErrors } from '../web/forms.ts';
import { RESET_TEXT } from './text.ts';

export function forgotPage(lang: WebLang, config: Config, values: { formalId?: string; email?: string } = {}, errors?: FieldErrors, notice?: string): string {
  const w = RESET_TEXT[lang];
  const t = MESSAGES[lang];
  const offered = config.mail.transport !== 'none';
  const body = html`
<h1>${w.forgotTitle}</h1>
${offered ? html`<p class="lead">${w.forgotIntro(config.passwordResetTtlMinutes)}</p>` : html`<p class="warning">${w.unavailableHere}</p>`}
${notice ? html`<p class="warning" role="alert">${notice}</p>` : ''}
${errorSummary(lang, errors)}
${offered
  ? html`<form class="card" method="post" action="/password/forgot" novalidate>
  <label for="formalId">${t.formalId}</label>
  <p class="hint" id="formalId-hint">${w.formalIdHint}</p>
  ${fieldError(lang, 'formalId', errors)}
  <input id="formalId" name="formalId" type="text" inputmode="numeric" autocomplete="username" maxlength="32" required value="${values.formalId ?? ''}"${fieldAttrs('formalId', errors, 'formalId-hint')}>
  <label for="email">${t.email}</label>
  ${fieldError(lang, 'email', errors)}
  <input id="email" name="email" type="email" autocomplete="email" maxlength="254" required value="${values.email ?? ''}"${fieldAttrs('email', errors)}>
  <div><button class="primary" type="submit">${w.sendButton}</button></div>
</form>`
  : ''}
<p><a href="/login">${t.login}</a></p>`;
  return page({ lang, title: errors ? `${t.errorPrefix} ${w.forgotTitle}` : w.forgotTitle, body, path: '/password/forgot' });
}

export function resetSentPage(lang: WebLang, config: Config): string {
  const w = RESET_TEXT[lang];
  const body = html`<h1>${w.sentTitle}</h1><p class="notice" role="status" data-testid="reset-sent">${w.sent(config.passwordResetTtlMinutes)}</p><p><a href="/login">${MESSAGES[lang].login}</a></p>`;
  return page({ lang, title: w.sentTitle, body, path: '/password/forgot' });
}

/** The link's page: nothing changes until the button is pressed (mail scanners that open links do not use them). */
export function resetFormPage(lang: WebLang, token: string): string {
  const w = RESET_TEXT[lang];
  const body = html`<h1>${w.resetTitle}</h1>
<form class="card" method="post" action="/password/reset">
<p>${w.resetIntro}</p>
<input type="hidden" name="token" value="${token}">
<div><button class="primary" type="submit" data-testid="issue-password">${w.resetButton}</button></div>
</form>`;
  return page({ lang, title: w.resetTitle, body, path: '/password/reset' });
}

export function resetDonePage(lang: WebLang, password: string): string {
  const w = RESET_TEXT[lang];
  const body = html`<h1>${w.doneTitle}</h1>
<div class="card"><dl class="facts"><dt>${w.newPassword}</dt><dd class="big" data-testid="new-password">${password}</dd></dl></div>
<p class="warning">${w.doneIntro}</p>
<div class="actions"><a class="button" href="/login">${MESSAGES[lang].login}</a></div>`;
  return page({ lang, title: w.doneTitle, body, path: '/password/reset' });
}

export function badLinkPage(lang: WebLang, why: 'unknown' | 'expired' | string): string {
  const w = RESET_TEXT[lang];
  const body = html`<h1>${w.badLinkTitle}</h1>
<p class="warning" data-testid="bad-link">${why === 'expired' ? w.expiredLink : why === 'unknown' ? w.unknownLink : why}</p>
<p><a class="button" href="/password/forgot">${w.askAgain}</a></p>`;
  return page({ lang, title: w.badLinkTitle, body, path: '/password/reset' });
}
