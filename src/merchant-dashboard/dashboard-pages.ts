import type { Page } from '../accounts/history.ts';
import type { Config } from '../config.ts';
import type { PaymentRequestStatus, PaymentRequestView } from '../payments/payment-requests.ts';
import { formatAmount } from '../shared/format.ts';
import { html, navLinks, page, type Html } from '../web/layout.ts';
import { dataTable, pagerLinks } from '../web/tables.ts';
import { localeOf } from '../web/lang.ts';
import { MESSAGES, type WebLang } from '../web/messages.ts';
import { confirmationBody, errorSummary, fieldAttrs, fieldError, type FieldErrors } from '../web/forms.ts';
import { calendarDate, calendarMonth, dateTime, dateTimeText } from '../web/when.ts';
import { REQUEST_STATUSES, type EventDetail, type RedemptionRow, type SettlementPeriod } from './dashboard.ts';
import type { DeliveryView } from '../merchants/outbox.ts';
import type { SettlementDay } from '../merchants/settlement.ts';
import { DASHBOARD_TEXT } from './text.ts';

export interface DashboardView {
  lang: WebLang;
  config: Config;
  merchantId: string;
  merchantName: string;
}

function dashboardPage(view: DashboardView, path: string, title: string, body: Html): string {
  const w = DASHBOARD_TEXT[view.lang];
  const links = navLinks(
    [
      ['/merchant', w.owed],
      ['/merchant/redemptions', w.redemptions],
      ['/merchant/requests', w.requests],
      ['/merchant/webhooks', w.webhooks],
      ['/merchant/api-key', w.apiKeys],
    ],
    path,
  );
  const nav = html`${links}<form method="post" action="/merchant/logout"><button type="submit">${w.signOut}</button></form>`;
  const heading = html`<p class="muted">${view.merchantName} · ${view.merchantId}</p>`;
  return page({ lang: view.lang, title: `${title} · ${w.title}`, body: html`${heading}${body}`, path, nav, wide: true });
}

const money = (view: DashboardView, amount: number) => formatAmount(amount, view.config.currency, localeOf(view.lang));
const when = (view: DashboardView, ms: number | string | null | undefined) => dateTime(typeof ms === 'string' ? Date.parse(ms) : ms, view.lang, view.config.timeZone);

export function merchantSignInPage(lang: WebLang, errors?: FieldErrors): string {
  const w = DASHBOARD_TEXT[lang];
  const body = html`
<h1>${w.title}</h1>
<p class="lead">${w.signInIntro}</p>
${errorSummary(lang, errors)}
<form class="card" method="post" action="/merchant" novalidate>
  <label for="apiKey">${w.apiKey}</label>
  ${fieldError(lang, 'apiKey', errors)}
  <input id="apiKey" name="apiKey" type="password" autocomplete="current-password" maxlength="200" required${fieldAttrs('apiKey', errors)}>
  <div><button class="primary" type="submit">${w.signIn}</button></div>
</form>`;
  return page({ lang, title: errors ? `${MESSAGES[lang].errorPrefix} ${w.title}` : w.title, body, path: '/merchant', nav: html`` });
}

export const signInError = (lang: WebLang, result: 'wrong' | 'locked'): FieldErrors => ({ apiKey: DASHBOARD_TEXT[lang][result] });

export function owedPage(view: DashboardView, days: SettlementDay[], months: SettlementPeriod[], range?: { values: { from?: string; to?: string }; errors: FieldErrors }): string {
  const w = DASHBOARD_TEXT[view.lang];
  const total = months.reduce((t, m) => t + m.net, 0);
  const paid = months.reduce((t, m) => t + m.redeemed + m.approved, 0);
  const { codes, approvals } = view.config.charging.methods;
  // What is a demo in this deployment, said beside the figures it concerns (docs/CHARGING.md, none).
  const demo = [codes === 'none' ? w.demoNote.codes : '', approvals === 'none' ? w.demoNote.approvals : ''].filter(Boolean).join(' ');
  const monthRows = months.map(
    (m) => html`<tr data-testid="settlement-month" data-period="${m.period}" data-net="${m.net}"><td>${calendarMonth(m.period, view.lang)}</td><td class="num">${money(view, m.redeemed)}</td><td class="num" data-testid="approved" data-value="${m.approved}">${money(view, m.approved)}</td><td class="num">${money(view, m.voided)}</td><td class="num">${money(view, m.adjustments)}</td><td class="num">${money(view, m.net)}</td><td class="num">${m.redemptions}</td></tr>`,
  );
  const dayRows = [...days].reverse().slice(0, 31).map(
    (d) => html`<tr data-testid="settlement-day" data-date="${d.date}" data-net="${d.net}"><td>${calendarDate(d.date, view.lang)}</td><td class="num">${money(view, d.redeemed)}</td><td class="num" data-testid="approved" data-value="${d.approved}">${money(view, d.approved)}</td><td class="num">${money(view, d.voided)}</td><td class="num" data-testid="adjustments" data-value="${d.adjustments}">${money(view, d.adjustments)}</td><td class="num">${money(view, d.net)}</td><td class="num">${d.redemptions}</td></tr>`,
  );
  const head = [w.month, w.redeemed, w.approvedRequests, w.voided, w.adjustments, w.owedNet, w.count];
  const body = html`
<h1>${w.owed}</h1>
<dl class="figures"><div data-testid="paid" data-value="${paid}"><dt>${w.paidByMembers}</dt><dd>${money(view, paid)}</dd></div><div data-testid="owed" data-value="${total}"><dt>${w.owedToDate}</dt><dd>${money(view, total)}</dd></div></dl>
<p class="muted">${w.paidVsOwedNote}</p>
${demo ? html`<p class="notice" data-testid="demo-note">${demo}</p>` : ''}
<section class="card"><h2>${w.perMonth}</h2>${dataTable(head, monthRows, w.none, [1, 2, 3, 4, 5, 6])}
<h3 id="csv">${w.csv}</h3>
${errorSummary(view.lang, range?.errors)}
<form class="search" method="get" action="/merchant/settlement.csv" novalidate><div><label for="from">${w.from}</label>${fieldError(view.lang, 'from', range?.errors)}<input id="from" name="from" type="date" value="${range?.values.from ?? ''}"${fieldAttrs('from', range?.errors)}></div><div><label for="to">${w.to}</label>${fieldError(view.lang, 'to', range?.errors)}<input id="to" name="to" type="date" value="${range?.values.to ?? ''}"${fieldAttrs('to', range?.errors)}></div><button class="primary" type="submit">${w.csv}</button></form></section>
<section class="card"><h2>${w.perDay}</h2>${dataTable([w.date, ...head.slice(1)], dayRows, w.none, [1, 2, 3, 4, 5, 6])}</section>`;
  return dashboardPage(view, '/merchant', w.owed, body);
}

export function redemptionsView(view: DashboardView, result: Page<RedemptionRow>, cursor?: string, flash?: { ok?: string; error?: string }): string {
  const w = DASHBOARD_TEXT[view.lang];
  const rows = result.items.map(
    (r) =>
      html`<tr data-testid="redemption" data-id="${r.redemptionId}" data-amount="${r.amount}" data-status="${r.status}"><td class="num">${money(view, r.amount)}</td><td><span class="tag ${r.status === 'voided' ? 'declined' : 'approved'}">${w.statuses[r.status]}</span></td><td>${when(view, r.at)}</td><td>${r.orderId}</td><td>${r.codeLast4}</td><td><code>${r.redemptionId}</code></td><td>${r.status === 'redeemed' ? html`<form class="inline" method="post" action="/merchant/redemptions/${r.redemptionId}/void"><button type="submit" data-testid="void">${w.voidButton}</button></form>` : ''}</td></tr>`,
  );
  const body = html`<h1>${w.redemptions}</h1>
${flash?.ok ? html`<p class="notice" role="status" data-testid="flash">${flash.ok}</p>` : ''}
${flash?.error ? html`<p class="error" role="alert" data-testid="flash-error">${flash.error}</p>` : ''}
${dataTable([w.amount, w.status, w.when, w.orderId, w.code, w.redemptionId, ''], rows, w.none, [0])}${pagerLinks('/merchant/redemptions', {}, result.next, Boolean(cursor), w)}`;
  return dashboardPage(view, '/merchant/redemptions', w.redemptions, body);
}

/** "Void this redemption?": posts again with confirm=yes and an Idempotency-Key made now, so a double press voids once (the API's rules). */
export function voidConfirmView(view: DashboardView, redemption: RedemptionRow, idempotencyKey: string): string {
  const w = DASHBOARD_TEXT[view.lang];
  const body = confirmationBody(view.lang, {
    title: w.voidTitle,
    question: w.voidQuestion(money(view, redemption.amount), redemption.redemptionId),
    action: `/merchant/redemptions/${redemption.redemptionId}/void`,
    button: w.voidButton,
    cancelHref: '/merchant/redemptions',
    hidden: { idempotencyKey },
  });
  return dashboardPage(view, '/merchant/redemptions', w.voidTitle, body);
}

export function requestsView(view: DashboardView, result: Page<PaymentRequestView>, status: PaymentRequestStatus | undefined, cursor?: string): string {
  const w = DASHBOARD_TEXT[view.lang];
  const rows = result.items.map(
    (r) =>
      html`<tr data-testid="payment-request" data-id="${r.id}" data-status="${r.status}" data-amount="${r.amount}"><td>${r.description}</td><td class="num">${money(view, r.amount)}</td><td><span class="tag ${r.status}">${w.statuses[r.status]}</span></td><td>${when(view, r.createdAt)}</td><td>${r.number}</td><td>${r.orderId ?? ''}</td></tr>`,
  );
  const body = html`<h1>${w.requests}</h1>
<form class="search" method="get" action="/merchant/requests"><div><label for="status">${w.status}</label><select id="status" name="status"><option value="">${w.all}</option>${REQUEST_STATUSES.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${w.statuses[s]}</option>`)}</select></div><button class="primary" type="submit">${w.filter}</button></form>
${dataTable([w.description, w.amount, w.status, w.when, w.number, w.orderId], rows, w.none, [1])}${pagerLinks('/merchant/requests', { status }, result.next, Boolean(cursor), w)}`;
  return dashboardPage(view, '/merchant/requests', w.requests, body);
}

export function webhooksView(view: DashboardView, deliveries: DeliveryView[], nextCursor: string | null, cursor?: string, flash?: string): string {
  const w = DASHBOARD_TEXT[view.lang];
  const rows = deliveries.map(
    (d) =>
      html`<tr data-testid="delivery" data-event="${d.eventId}" data-status="${d.status}" data-attempts="${d.attempts}" data-response="${d.lastResponseStatus ?? ''}"><td><a href="/merchant/webhooks/${d.eventId}" data-testid="event-link">${w.eventTypes[d.type] ?? d.type}</a> <code class="muted">${d.type}</code></td><td><span class="tag ${d.status === 'delivered' ? 'approved' : d.status === 'failed' ? 'declined' : ''}">${w.deliveryStatuses[d.status]}</span></td><td>${when(view, d.createdAt)}</td><td class="num">${d.attempts}</td><td class="num">${d.lastResponseStatus ?? '—'}</td><td>${d.lastError ?? ''}</td><td>${d.status === 'pending' ? '' : html`<form class="inline" method="post" action="/merchant/webhooks/${d.eventId}/retry"><button type="submit" data-testid="send-again">${w.sendAgain}</button></form>`}</td></tr>`,
  );
  const body = html`<h1>${w.webhooks}</h1>${flash ? html`<p class="notice" role="status">${flash}</p>` : ''}
${dataTable([w.event, w.status, w.when, w.attempts, w.response, w.lastError, ''], rows, w.none, [3, 4])}${pagerLinks('/merchant/webhooks', {}, nextCursor, Boolean(cursor), w)}`;
  return dashboardPage(view, '/merchant/webhooks', w.webhooks, body);
}

/** One event: what is POSTed (the payload) and how its delivery went. */
export function eventView(view: DashboardView, e: EventDetail): string {
  const w = DASHBOARD_TEXT[view.lang];
  const body = html`<h1>${w.eventTitle}: ${w.eventTypes[e.type] ?? e.type}</h1>
<p><code>${e.eventId}</code> · <code>${e.type}</code></p>
<section class="card"><h2>${w.deliveryTitle}</h2>
<dl class="facts" data-testid="event-delivery" data-status="${e.status}" data-attempts="${e.attempts}">
<dt>${w.status}</dt><dd>${w.deliveryStatuses[e.status]}</dd>
<dt>${w.when}</dt><dd>${when(view, e.createdAt)}</dd>
<dt>${w.attempts}</dt><dd>${e.attempts}</dd>
<dt>${w.lastAttempt}</dt><dd>${when(view, e.lastAttemptAt)}</dd>
<dt>${w.response}</dt><dd>${e.lastResponseStatus ?? '—'}</dd>
<dt>${w.lastError}</dt><dd>${e.lastError ?? '—'}</dd>
<dt>${w.nextAttempt}</dt><dd>${when(view, e.nextAttemptAt)}</dd>
</dl>
${e.status === 'pending' ? '' : html`<form method="post" action="/merchant/webhooks/${e.eventId}/retry"><button type="submit" class="primary">${w.sendAgain}</button></form>`}
</section>
<section class="card"><h2>${w.payload}</h2><pre class="payload" data-testid="payload" tabindex="0">${e.payload}</pre></section>
<p><a href="/merchant/webhooks">${w.webhooks}</a></p>`;
  return dashboardPage(view, '/merchant/webhooks', w.eventTitle, body);
}

export const sentAgainMessage = (lang: WebLang) => DASHBOARD_TEXT[lang].sentAgain;

export function apiKeyView(view: DashboardView, rotated?: { apiKey: string; previousKeyWorksUntil: string }, notice?: 'notCurrent' | 'previousRevoked'): string {
  const w = DASHBOARD_TEXT[view.lang];
  const body = html`<h1>${w.apiKeys}</h1>
${notice ? html`<p class="${notice === 'notCurrent' ? 'error' : 'muted'}" role="status" data-testid="key-notice">${w[notice]}</p>` : ''}
${rotated ? html`<section class="card"><h2>${w.newKey}</h2><p class="big" data-testid="new-api-key">${rotated.apiKey}</p><p class="muted">${w.oldKeyUntil(dateTimeText(Date.parse(rotated.previousKeyWorksUntil), view.lang, view.config.timeZone))}</p></section>` : ''}
<section class="card"><p>${w.rotateIntro}</p><form method="post" action="/merchant/api-key"><button class="primary" type="submit" data-testid="rotate">${w.rotate}</button></form></section>
<section class="card"><p>${w.revokePreviousIntro}</p><form method="post" action="/merchant/api-key/revoke-previous"><button type="submit" data-testid="revoke-previous">${w.revokePrevious}</button></form></section>`;
  return dashboardPage(view, '/merchant/api-key', w.apiKeys, body);
}

/** "Issue a new API key?": the first press of "Issue a new key" shows this, without JavaScript. */
export function rotateConfirmView(view: DashboardView): string {
  const w = DASHBOARD_TEXT[view.lang];
  const body = confirmationBody(view.lang, { title: w.rotateTitle, question: w.rotateQuestion(view.config.merchantKeyOverlapHours), action: '/merchant/api-key', button: w.rotate, cancelHref: '/merchant/api-key' });
  return dashboardPage(view, '/merchant/api-key', w.rotateTitle, body);
}
