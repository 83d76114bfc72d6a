import type { Config } from '../config.ts';
import { formatDateTime } from '../shared/format.ts';
import { html, page, type Html } from '../web/layout.ts';
import { localeOf } from '../web/lang.ts';
import { MESSAGES, type WebLang } from '../web/messages.ts';
import { cardSection } from './card-section.ts';
import type { KeptCard } from './kept-card.ts';
import type { MemberStatus } from './login.ts';

export function loginPage(lang: WebLang, error?: string, formalId = ''): string {
  const t = MESSAGES[lang];
  const body = html`
<h1>${t.loginTitle}</h1>
<p class="lead">${t.loginIntro}</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="card" method="post" action="/login">
  <label for="formalId">${t.formalId}</label>
  <input id="formalId" name="formalId" type="text" inputmode="numeric" autocomplete="username" maxlength="32" required value="${formalId}">
  <label for="password">${t.password}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" maxlength="128" required>
  <div><button class="primary" type="submit">${t.loginButton}</button></div>
</form>
<p class="muted"><a href="/register">${t.register}</a></p>`;
  return page({ lang, title: t.loginTitle, body, path: '/login' });
}

/** The member page; `history` and `card` are sections rendered by their own features (history-page.ts, card-section.ts). */
export function servicePage(lang: WebLang, config: Config, member: MemberStatus, flash?: { ok?: string; error?: string }, sections: { history?: Html; card?: KeptCard } = {}): string {
  const t = MESSAGES[lang];
  const expiry = formatDateTime(member.accessExpiresAt, localeOf(lang), config.timeZone);
  const access = member.active
    ? html`<p class="notice" data-testid="access">${t.accessActive(expiry)}</p>`
    : html`<p class="warning" data-testid="access">${t.accessExpired(expiry)} ${t.renewHow(config.servicePhoneNumber)}</p>`;
  const body = html`
<h1>${t.serviceTitle}</h1>
<p class="lead">${t.welcomeMember(member.name)} <span class="muted">${t.maskedFormalId(member.formalId.slice(-4))}</span></p>
${flash?.ok ? html`<p class="notice" role="status">${flash.ok}</p>` : ''}
${flash?.error ? html`<p class="error" role="alert">${flash.error}</p>` : ''}
${access}
${member.active ? html`<section class="card"><h2>${t.paidContent}</h2><p>${t.paidContentBody}</p></section>` : ''}
<p class="muted">${member.active ? t.renewHow(config.servicePhoneNumber) : ''}</p>
${sections.history ?? ''}
<section class="card">
  <h2>${t.pinTitle}</h2>
  <p>${t.pinIntro}</p>
  ${member.phoneLocked ? html`<p class="warning">${t.pinLocked}</p>` : html`<p class="muted">${member.hasPin ? t.pinSet : t.pinNotSet}</p>`}
  <form method="post" action="/service/pin">
    <label for="pin">${t.pinLabel}</label>
    <input id="pin" name="pin" type="password" inputmode="numeric" pattern="[0-9]{4,8}" minlength="4" maxlength="8" autocomplete="new-password" required>
    <div><button class="primary" type="submit">${t.pinButton}</button></div>
  </form>
</section>
${cardSection(lang, config, sections.card)}`;
  return page({ lang, title: t.serviceTitle, body, path: '/service', signedIn: true });
}
