import type { Page } from '../accounts/history.ts';
import type { Config } from '../config.ts';
import type { PaymentRequestStatus, PaymentRequestView } from '../payments/payment-requests.ts';
import { formatAmount, formatDateTime } from '../shared/format.ts';
import { html, page, type Html } from '../web/layout.ts';
import { dataTable, pagerLinks } from '../web/tables.ts';
import { localeOf } from '../web/lang.ts';
import type { WebLang } from '../web/messages.ts';
import { REQUEST_STATUSES, type RedemptionRow, type SettlementPeriod } from './dashboard.ts';
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
  const nav = html`<a href="/merchant">${w.owed}</a><a href="/merchant/redemptions">${w.redemptions}</a><a href="/merchant/requests">${w.requests}</a><a href="/merchant/webhooks">${w.webhooks}</a><a href="/merchant/api-key">${w.apiKeys}</a><form method="post" action="/merchant/logout"><button type="submit">${w.signOut}</button></form>`;
  const heading = html`<p class="muted">${view.merchantName} · ${view.merchantId}</p>`;
  return page({ lang: view.lang, title: `${title} · ${w.title}`, body: html`${heading}${body}`, path, nav, wide: true });
}

const money = (view: DashboardView, amount: number) => formatAmount(amount, view.config.currency, localeOf(view.lang));
const when = (view: DashboardView, ms: number | string | null) => (ms ? formatDateTime(typeof ms === 'string' ? Date.parse(ms) : ms, localeOf(view.lang), view.config.timeZone) : '—');



export function merchantSignInPage(lang: WebLang, error?: string): string {
  const w = DASHBOARD_TEXT[lang];
  const body = html`
<h1>${w.title}</h1>
<p class="lead">${w.signInIntro}</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="card" method="post" action="/merchant/login">
  <label for="apiKey">${w.apiKey}</label>
  <input id="apiKey" name="apiKey" type="password" autocomplete="current-password" maxlength="200" required>
  <div><button class="primary" type="submit">${w.signIn}</button></div>
</form>`;
  return page({ lang, title: w.title, body, path: '/merchant', nav: html`` });
}

export const signInError = (lang: WebLang, result: 'wrong' | 'locked') => DASHBOARD_TEXT[lang][result];

export function owedPage(view: DashboardView, days: SettlementDay[], months: SettlementPeriod[]): string {
  const w = DASHBOARD_TEXT[view.lang];
  const total = months.reduce((t, m) => t + m.net, 0);
  const monthRows = months.map(
    (m) => html`<tr data-testid="settlement-month" data-period="${m.period}" data-net="${m.net}"><td>${m.period}</td><td class="num">${m.redemptions}</td><td class="num">${money(view, m.redeemed)}</td><td class="num">${money(view, m.voided)}</td><td class="num">${money(view, m.adjustments)}</td><td class="num">${money(view, m.net)}</td></tr>`,
  );
  const dayRows = [...days].reverse().slice(0, 31).map(
    (d) => html`<tr data-testid="settlement-day" data-date="${d.date}" data-net="${d.net}"><td>${d.date}</td><td class="num">${d.redemptions}</td><td class="num">${money(view, d.redeemed)}</td><td class="num">${money(view, d.voided)}</td><td class="num" data-testid="adjustments" data-value="${d.adjustments}">${money(view, d.adjustments)}</td><td class="num">${money(view, d.net)}</td></tr>`,
  );
  const body = html`
<h1>${w.owed}</h1>
<dl class="figures"><div data-testid="owed" data-value="${total}"><dt>${w.owedToDate}</dt><dd>${money(view, total)}</dd></div></dl>
<section class="card"><h2>${w.perMonth}</h2>${dataTable([w.month, w.count, w.redeemed, w.voided, w.adjustments, w.net], monthRows, w.none, [1, 2, 3, 4, 5])}
<form class="search" method="get" action="/merchant/settlement.csv"><div><label for="from">${w.from}</label><input id="from" name="from" type="date"></div><div><label for="to">${w.to}</label><input id="to" name="to" type="date"></div><button class="primary" type="submit">${w.csv}</button></form></section>
<section class="card"><h2>${w.perDay}</h2>${dataTable([w.date, w.count, w.redeemed, w.voided, w.adjustments, w.net], dayRows, w.none, [1, 2, 3, 4, 5])}</section>`;
  return dashboardPage(view, '/merchant', w.owed, body);
}

export function redemptionsView(view: DashboardView, result: Page<RedemptionRow>, cursor?: string): string {
  const w = DASHBOARD_TEXT[view.lang];
  const rows = result.items.map(
    (r) =>
      html`<tr data-testid="redemption" data-id="${r.redemptionId}" data-amount="${r.amount}" data-status="${r.status}"><td>${when(view, r.at)}</td><td><code>${r.redemptionId}</code></td><td>${r.codeLast4}</td><td>${r.orderId}</td><td class="num">${money(view, r.amount)}</td><td><span class="tag ${r.status === 'voided' ? 'declined' : 'approved'}">${w.statuses[r.status]}</span></td></tr>`,
  );
  const body = html`<h1>${w.redemptions}</h1>${dataTable([w.when, w.redemptionId, w.code, w.orderId, w.amount, w.status], rows, w.none, [4])}${pagerLinks('/merchant/redemptions', {}, result.next, Boolean(cursor), w)}`;
  return dashboardPage(view, '/merchant/redemptions', w.redemptions, body);
}

export function requestsView(view: DashboardView, result: Page<PaymentRequestView>, status: PaymentRequestStatus | undefined, cursor?: string): string {
  const w = DASHBOARD_TEXT[view.lang];
  const rows = result.items.map(
    (r) =>
      html`<tr data-testid="payment-request" data-id="${r.id}" data-status="${r.status}" data-amount="${r.amount}"><td>${when(view, r.createdAt)}</td><td>${r.number}</td><td>${r.description}</td><td>${r.orderId ?? ''}</td><td class="num">${money(view, r.amount)}</td><td><span class="tag ${r.status}">${w.statuses[r.status]}</span></td></tr>`,
  );
  const body = html`<h1>${w.requests}</h1>
<form class="search" method="get" action="/merchant/requests"><div><label for="status">${w.status}</label><select id="status" name="status"><option value="">${w.all}</option>${REQUEST_STATUSES.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${w.statuses[s]}</option>`)}</select></div><button class="primary" type="submit">${w.filter}</button></form>
${dataTable([w.when, w.number, w.description, w.orderId, w.amount, w.status], rows, w.none, [4])}${pagerLinks('/merchant/requests', { status }, result.next, Boolean(cursor), w)}`;
  return dashboardPage(view, '/merchant/requests', w.requests, body);
}

export function webhooksView(view: DashboardView, deliveries: DeliveryView[], nextCursor: string | null, cursor?: string, flash?: string): string {
  const w = DASHBOARD_TEXT[view.lang];
  const rows = deliveries.map(
    (d) =>
      html`<tr data-testid="delivery" data-event="${d.eventId}" data-status="${d.status}" data-attempts="${d.attempts}" data-response="${d.lastResponseStatus ?? ''}"><td>${when(view, d.createdAt)}</td><td>${d.type}<br><code>${d.eventId}</code></td><td><span class="tag ${d.status === 'delivered' ? 'approved' : d.status === 'failed' ? 'declined' : ''}">${w.statuses[d.status]}</span></td><td class="num">${d.attempts}</td><td class="num">${d.lastResponseStatus ?? '—'}</td><td>${d.lastError ?? ''}</td><td>${d.status === 'pending' ? '' : html`<form class="inline" method="post" action="/merchant/webhooks/${d.eventId}/retry"><button type="submit" data-testid="send-again">${w.sendAgain}</button></form>`}</td></tr>`,
  );
  const body = html`<h1>${w.webhooks}</h1>${flash ? html`<p class="notice" role="status">${flash}</p>` : ''}
${dataTable([w.when, w.event, w.status, w.attempts, w.response, w.lastError, ''], rows, w.none, [3, 4])}${pagerLinks('/merchant/webhooks', {}, nextCursor, Boolean(cursor), w)}`;
  return dashboardPage(view, '/merchant/webhooks', w.webhooks, body);
}

export const sentAgainMessage = (lang: WebLang) => DASHBOARD_TEXT[lang].sentAgain;

export function apiKeyView(view: DashboardView, rotated?: { apiKey: string; previousKeyWorksUntil: string }, notice?: 'notCurrent' | 'previousRevoked'): string {
  const w = DASHBOARD_TEXT[view.lang];
  const body = html`<h1>${w.apiKeys}</h1>
${notice ? html`<p class="${notice === 'notCurrent' ? 'error' : 'muted'}" role="status" data-testid="key-notice">${w[notice]}</p>` : ''}
${rotated ? html`<section class="card"><h2>${w.newKey}</h2><p class="big" data-testid="new-api-key">${rotated.apiKey}</p><p class="muted">${w.oldKeyUntil(when(view, rotated.previousKeyWorksUntil))}</p></section>` : ''}
<section class="card"><p>${w.rotateIntro}</p><form method="post" action="/merchant/api-key"><button class="primary" type="submit" data-testid="rotate">${w.rotate}</button></form></section>
<section class="card"><p>${w.revokePreviousIntro}</p><form method="post" action="/merchant/api-key/revoke-previous"><button type="submit" data-testid="revoke-previous">${w.revokePrevious}</button></form></section>`;
  return dashboardPage(view, '/merchant/api-key', w.apiKeys, body);
}
