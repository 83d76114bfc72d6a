import type { Config } from '../config.ts';
import { html, page, type Html } from '../web/layout.ts';
import { MESSAGES, type WebLang } from '../web/messages.ts';
import { errorSummary, fieldAttrs, fieldError, type FieldErrors } from '../web/forms.ts';
import { dateTime, dateTimeText, sentence } from '../web/when.ts';
import { domesticNumber, telLink } from '../web/phone.ts';
import { cardSection } from './card-section.ts';
import type { KeptCard } from './kept-card.ts';
import type { MemberStatus } from './login.ts';
import { RESET_TEXT } from './text.ts';

/**
 * The login form. A wrong ID or password is one error of the form (which of the two is not
 * said), shown in the summary and beside the formal ID; a malformed ID is the ID's own error.
 */
export function loginPage(lang: WebLang, errors?: FieldErrors, formalId = ''): string {
  const t = MESSAGES[lang];
  const body = html`
<h1>${t.loginTitle}</h1>
<p class="lead">${t.loginIntro}</p>
${errorSummary(lang, errors)}
<form class="card" method="post" action="/login" novalidate>
  <label for="formalId">${t.formalId}</label>
  ${fieldError(lang, 'formalId', errors)}
  <input id="formalId" name="formalId" type="text" inputmode="numeric" autocomplete="username" maxlength="32" required value="${formalId}"${fieldAttrs('formalId', errors)}>
  <label for="password">${t.password}</label>
  ${fieldError(lang, 'password', errors)}
  <input id="password" name="password" type="password" autocomplete="current-password" maxlength="128" required${fieldAttrs('password', errors)}>
  <div><button class="primary" type="submit">${t.loginButton}</button></div>
</form>
<p><a href="/password/forgot" data-testid="forgot-password">${RESET_TEXT[lang].forgotLink}</a></p>
<p class="muted"><a href="/register">${t.register}</a></p>`;
  return page({ lang, title: t.loginTitle, body, path: '/login' });
}

/** "Call 050-… and press 4": the number a tel: link inside the sentence. */
function renewHow(lang: WebLang, config: Config): Html {
  const t = MESSAGES[lang];
  const shown = domesticNumber(config.servicePhoneNumber);
  return sentence(t.renewHow(shown), shown, telLink(config.servicePhoneNumber));
}

/**
 * The member page; `history` and `card` are sections rendered by their own features
 * (history-page.ts, card-section.ts). A PIN that was not accepted comes back on this same page
 * (POST /service), its error beside the field, the history still there.
 */
export function servicePage(
  lang: WebLang,
  config: Config,
  member: MemberStatus,
  flash?: { ok?: string },
  sections: { history?: Html; card?: KeptCard; pinErrors?: FieldErrors } = {},
): string {
  const t = MESSAGES[lang];
  const expiryText = dateTimeText(member.accessExpiresAt, lang, config.timeZone);
  const expiry = dateTime(member.accessExpiresAt, lang, config.timeZone) as Html;
  const access = member.active
    ? html`<p class="notice" data-testid="access">${sentence(t.accessActive(expiryText), expiryText, expiry)}</p>`
    : html`<p class="warning" data-testid="access">${sentence(t.accessExpired(expiryText), expiryText, expiry)} ${renewHow(lang, config)}</p>`;
  const pinErrors = sections.pinErrors;
  const body = html`
<h1>${t.serviceTitle}</h1>
<p class="lead">${t.welcomeMember(member.name)} <span class="muted">${t.maskedFormalId(member.formalId.slice(-4))}</span></p>
${flash?.ok ? html`<p class="notice" role="status">${flash.ok}</p>` : ''}
${errorSummary(lang, pinErrors)}
${access}
${member.active ? html`<section class="card"><h2>${t.paidContent}</h2><p>${t.paidContentBody}</p></section>` : ''}
${member.active ? html`<p class="muted">${renewHow(lang, config)}</p>` : ''}
${sections.history ?? ''}
<section class="card" id="phone-pin">
  <h2>${t.pinTitle}</h2>
  <p>${t.pinIntro}</p>
  ${member.phoneLocked ? html`<p class="warning">${t.pinLocked}</p>` : html`<p class="muted">${member.hasPin ? t.pinSet : t.pinNotSet}</p>`}
  <form method="post" action="/service" novalidate>
    <input type="hidden" name="form" value="pin">
    <label for="pin">${t.pinLabel}</label>
    ${fieldError(lang, 'pin', pinErrors)}
    <input id="pin" name="pin" type="password" inputmode="numeric" pattern="[0-9]{4,8}" minlength="4" maxlength="8" autocomplete="new-password" required${fieldAttrs('pin', pinErrors)}>
    <div><button class="primary" type="submit">${t.pinButton}</button></div>
  </form>
</section>
${cardSection(lang, config, sections.card)}`;
  return page({ lang, title: pinErrors ? `${t.errorPrefix} ${t.serviceTitle}` : t.serviceTitle, body, path: '/service', signedIn: true });
}
