import type { Charge, ChargesPage } from '../accounts/history.ts';
import type { Page } from '../accounts/history.ts';
import type { Config } from '../config.ts';
import type { SettlementDay } from '../merchants/settlement.ts';
import { formatAmount, formatDateTime } from '../shared/format.ts';
import { html, page, type Html } from '../web/layout.ts';
import { dataTable, pagerLinks } from '../web/tables.ts';
import { localeOf } from '../web/lang.ts';
import { MESSAGES, type WebLang } from '../web/messages.ts';
import { revenueChart } from './chart.ts';
import { DAY_FIELDS, type AuditEntry, type CallRow, type CodeRow, type Dashboard, type DayField, type MemberRow, type MerchantRow } from './figures.ts';
import { ADMIN_WORDS } from './text.ts';


const MONEY_FIELDS = new Set<DayField>(['revenue', 'codes_sold_amount', 'redeemed_amount', 'voided_amount']);

export interface AdminView {
  lang: WebLang;
  config: Config;
}

function consolePage(view: AdminView, path: string, title: string, body: Html): string {
  const w = ADMIN_WORDS[view.lang];
  const nav = html`<a href="/admin">${w.overview}</a><a href="/admin/members">${w.members}</a><a href="/admin/ledger">${w.ledger}</a><a href="/admin/calls">${w.calls}</a><a href="/admin/codes">${w.codes}</a><a href="/admin/merchants">${w.merchants}</a><a href="/admin/audit">${w.audit}</a><form method="post" action="/admin/logout"><button type="submit">${w.logout}</button></form>`;
  return page({ lang: view.lang, title: `${title} · ${w.title}`, body, path, nav, wide: true });
}

const money = (view: AdminView, amount: number) => formatAmount(amount, view.config.currency, localeOf(view.lang));
const when = (view: AdminView, ms: number) => (ms ? formatDateTime(ms, localeOf(view.lang), view.config.timeZone) : '—');



export function adminLoginPage(lang: WebLang, error?: string): string {
  const w = ADMIN_WORDS[lang];
  const body = html`
<h1>${w.title}</h1>
<p class="lead">${w.loginIntro}</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form class="card" method="post" action="/admin/login">
  <label for="token">${w.token}</label>
  <input id="token" name="token" type="password" autocomplete="current-password" maxlength="200" required>
  <div><button class="primary" type="submit">${w.login}</button></div>
</form>`;
  return page({ lang, title: w.title, body, path: '/admin', nav: html`` });
}

function figureList(view: AdminView, figures: Record<DayField, number>, fields: readonly DayField[], testId: string): Html {
  const w = ADMIN_WORDS[view.lang];
  return html`<dl class="figures" data-testid="${testId}">${fields.map(
    (f) => html`<div data-field="${f}" data-value="${figures[f]}"><dt>${w.fields[f]}</dt><dd>${MONEY_FIELDS.has(f) ? money(view, figures[f]!) : figures[f]!.toLocaleString(localeOf(view.lang))}</dd></div>`,
  )}</dl>`;
}

/** Every day counter, but the count of voids: the overview shows the voided amount beside the redeemed one. */
const OVERVIEW_FIELDS: readonly DayField[] = DAY_FIELDS.filter((field) => field !== 'voids');

export function dashboardPage(view: AdminView, d: Dashboard): string {
  const w = ADMIN_WORDS[view.lang];
  const body = html`
<h1>${w.title}</h1>
<section>
  <h2>${w.now}</h2>
  <dl class="figures" data-testid="now">
    <div data-field="pending" data-value="${d.pendingRegistrations}"><dt>${w.pendingRegistrations}</dt><dd>${d.pendingRegistrations}</dd></div>
    <div data-field="outstanding" data-value="${d.outstanding}"><dt>${w.outstanding}</dt><dd>${money(view, d.outstanding)}</dd></div>
    <div data-field="members" data-value="${d.members}"><dt>${w.memberCount}</dt><dd>${d.members}</dd></div>
    <div data-field="merchants" data-value="${d.merchants}"><dt>${w.merchantCount}</dt><dd>${d.merchants}</dd></div>
  </dl>
</section>
<section><h2>${w.today} <span class="muted">${d.today.day}</span></h2>${figureList(view, d.today, OVERVIEW_FIELDS, 'today')}</section>
<section><h2>${w.thisMonth} <span class="muted">${d.month.day}</span></h2>${figureList(view, d.month, OVERVIEW_FIELDS, 'month')}</section>
<section class="card"><h2>${w.revenuePerDay}</h2>${revenueChart(d.days, (n) => money(view, n), w.revenuePerDay)}</section>`;
  return consolePage(view, '/admin', w.overview, body);
}

export function membersPage(view: AdminView, result: Page<MemberRow>, q: string, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = result.items.map(
    (m) =>
      html`<tr data-testid="member" data-member="${m.memberId}"><td><a href="/admin/ledger?member=${m.memberId}">${m.memberId}</a></td><td>${m.formalIdTail}</td><td>${m.name}</td><td>${m.email}</td><td>${when(view, m.activatedAt)}</td><td>${when(view, m.accessExpiresAt)}</td></tr>`,
  );
  const body = html`
<h1>${w.members}</h1>
<form class="search" method="get" action="/admin/members"><div><label for="q">${w.memberSearch}</label><input id="q" name="q" type="text" inputmode="numeric" value="${q}"></div><button class="primary" type="submit">${w.search}</button></form>
${dataTable([w.member, w.formalIdTail, w.name, w.email, w.activated, w.accessUntil], rows, w.none)}
${pagerLinks('/admin/members', { q }, result.next, Boolean(cursor), w)}`;
  return consolePage(view, '/admin/members', w.members, body);
}

function auditRows(view: AdminView, items: AuditEntry[]): Html[] {
  return items.map(
    (e) =>
      html`<tr data-testid="audit" data-kind="${e.kind}" data-amount="${e.amount ?? ''}" data-member="${e.memberId}" data-merchant="${e.merchantId}"><td>${when(view, e.at)}</td><td>${e.actor}</td><td>${e.kind}</td><td>${e.memberId ? html`<a href="/admin/ledger?member=${e.memberId}">${e.memberId}</a>` : ''}</td><td>${e.merchantId ? html`<a href="/admin/merchants/${e.merchantId}">${e.merchantId}</a>` : ''}</td><td class="num">${e.amount === undefined ? '' : money(view, e.amount)}</td><td>${e.detail}</td></tr>`,
  );
}

export function auditPageView(view: AdminView, path: '/admin/audit' | '/admin/ledger', result: Page<AuditEntry>, kinds: readonly string[], kind: string, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const title = path === '/admin/audit' ? w.audit : w.ledger;
  const body = html`
<h1>${title}</h1>
<form class="search" method="get" action="${path}"><div><label for="kind">${w.kindFilter}</label><select id="kind" name="kind"><option value="">${w.all}</option>${kinds.map((k) => html`<option value="${k}"${k === kind ? html` selected` : ''}>${k}</option>`)}</select></div>${path === '/admin/ledger' ? html`<div><label for="member">${w.member}</label><input id="member" name="member" type="text" inputmode="numeric"></div>` : ''}<button class="primary" type="submit">${w.search}</button></form>
${dataTable([w.when, w.who, w.what, w.member, w.merchant, w.amount, w.detail], auditRows(view, result.items), w.none, [5])}
${pagerLinks(path, { kind }, result.next, Boolean(cursor), w)}
${path === '/admin/ledger' ? html`<h2>${w.csv}</h2><form class="search" method="get" action="/admin/ledger.csv"><div><label for="from">${w.from}</label><input id="from" name="from" type="date"></div><div><label for="to">${w.to}</label><input id="to" name="to" type="date"></div><button class="primary" type="submit">${w.csv}</button></form>` : ''}`;
  return consolePage(view, path, title, body);
}

/** One member's charges, straight from their ledger (the books), newest first. */
export function memberLedgerPage(view: AdminView, memberId: string, result: ChargesPage, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = result.items.map(
    (c) =>
      html`<tr data-testid="charge" data-kind="${c.kind}" data-amount="${c.amount}"><td>${when(view, c.at)}</td><td>${c.kind}${c.codeLast4 ? ` …${c.codeLast4}` : ''}${c.paymentRequest ? ` ${c.paymentRequest}` : ''}</td><td class="num">${money(view, c.amount)}</td><td><code>${c.callSid}</code></td><td>${c.from}</td></tr>`,
  );
  const body = html`
<h1>${w.ledger}: ${memberId}</h1>
${dataTable([w.when, w.kind, w.amount, w.call, 'From'], rows, w.none, [2])}
${!result.next && result.archived ? html`<p class="muted" data-testid="ledger-archived">${MESSAGES[view.lang].ledgerArchived(result.archived)}</p>` : ''}
${result.next || cursor ? html`<p class="pagers">${result.next ? html`<a data-testid="older" href="/admin/ledger?member=${memberId}&amp;cursor=${result.next}">${w.older}</a>` : ''}</p>` : ''}`;
  return consolePage(view, '/admin/ledger', w.ledger, body);
}

export function codesPageView(view: AdminView, result: Page<CodeRow>, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = result.items.map(
    (c) =>
      html`<tr data-testid="code" data-last4="${c.last4}" data-remaining="${c.remaining}" data-status="${c.status}"><td>${when(view, c.boughtAt)}</td><td>${c.last4}</td><td><a href="/admin/ledger?member=${c.owner}">${c.owner}</a></td><td>${c.merchantId}</td><td class="num">${money(view, c.remaining)} / ${money(view, c.amount)}</td><td>${when(view, c.expiresAt)}</td><td>${c.status}</td></tr>`,
  );
  const body = html`
<h1>${w.codes}</h1>
${dataTable([w.when, w.last4, w.owner, w.merchant, w.left, w.expires, w.status], rows, w.none, [4])}
${pagerLinks('/admin/codes', {}, result.next, Boolean(cursor), w)}`;
  return consolePage(view, '/admin/codes', w.codes, body);
}

export function callsPageView(view: AdminView, result: Page<CallRow>, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = result.items.map(
    (c) =>
      html`<tr data-testid="call" data-call="${c.callSid}" data-status="${c.status}"><td>${when(view, c.endedAt)}</td><td>${c.from}</td><td>${c.status}</td><td class="num">${c.durationSeconds}</td><td><a href="/admin/audit"><code>${c.callSid}</code></a></td></tr>`,
  );
  const body = html`
<h1>${w.calls}</h1>
${dataTable([w.when, w.caller, w.outcome, w.duration, w.call], rows, w.none, [3])}
${pagerLinks('/admin/calls', {}, result.next, Boolean(cursor), w)}`;
  return consolePage(view, '/admin/calls', w.calls, body);
}

export function merchantsPageView(view: AdminView, result: Page<MerchantRow>, q: string, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = result.items.map(
    (m) =>
      html`<tr data-testid="merchant" data-merchant="${m.merchantId}" data-net="${m.settlement.net}"><td><a href="/admin/merchants/${m.merchantId}">${m.merchantId}</a></td><td>${m.name}</td><td>${when(view, m.createdAt)}</td><td class="num">${m.settlement.redemptions}</td><td class="num">${money(view, m.settlement.net)}</td></tr>`,
  );
  const body = html`
<h1>${w.merchants}</h1>
<form class="search" method="get" action="/admin/merchants"><div><label for="q">${w.merchantSearch}</label><input id="q" name="q" type="text" inputmode="numeric" value="${q}"></div><button class="primary" type="submit">${w.search}</button></form>
${dataTable([w.merchant, w.name, w.when, w.count, w.net], rows, w.none, [3, 4])}
${pagerLinks('/admin/merchants', { q }, result.next, Boolean(cursor), w)}`;
  return consolePage(view, '/admin/merchants', w.merchants, body);
}

export function merchantDetailPage(view: AdminView, merchant: MerchantRow, days: SettlementDay[]): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = [...days].reverse().map(
    (d) =>
      html`<tr data-testid="settlement-day" data-date="${d.date}" data-net="${d.net}"><td>${d.date}</td><td class="num">${d.redemptions}</td><td class="num">${money(view, d.redeemed)}</td><td class="num">${money(view, d.voided)}</td><td class="num" data-testid="adjustments" data-value="${d.adjustments}">${money(view, d.adjustments)}</td><td class="num">${money(view, d.net)}</td></tr>`,
  );
  const body = html`
<h1>${merchant.name} <span class="muted">${merchant.merchantId}</span></h1>
<dl class="figures" data-testid="merchant-total"><div data-field="net" data-value="${merchant.settlement.net}"><dt>${w.net}</dt><dd>${money(view, merchant.settlement.net)}</dd></div><div><dt>${w.redeemed}</dt><dd>${money(view, merchant.settlement.redeemed)}</dd></div><div><dt>${w.voided}</dt><dd>${money(view, merchant.settlement.voided)}</dd></div><div><dt>${w.webhook}</dt><dd style="font-size:0.9rem">${merchant.webhookUrl || '—'}</dd></div></dl>
<section class="card"><h2>${w.settlement}</h2>
<form class="search" method="get" action="/admin/merchants/${merchant.merchantId}/settlement.csv"><div><label for="from">${w.from}</label><input id="from" name="from" type="date"></div><div><label for="to">${w.to}</label><input id="to" name="to" type="date"></div><button class="primary" type="submit">${w.csv}</button></form>
${dataTable([w.date, w.count, w.redeemed, w.voided, w.adjustments, w.net], rows, w.none, [1, 2, 3, 4, 5])}</section>`;
  return consolePage(view, `/admin/merchants/${merchant.merchantId}`, merchant.name, body);
}
