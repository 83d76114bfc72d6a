import type { ChargesPage } from '../accounts/history.ts';
import type { Page } from '../accounts/history.ts';
import type { Config } from '../config.ts';
import type { SettlementDay } from '../merchants/settlement.ts';
import { formatAmount } from '../shared/format.ts';
import { html, navLinks, page, type Html } from '../web/layout.ts';
import { dataTable, pagerLinks } from '../web/tables.ts';
import { localeOf } from '../web/lang.ts';
import { MESSAGES, type WebLang } from '../web/messages.ts';
import { errorSummary, fieldAttrs, fieldError, type FieldErrors } from '../web/forms.ts';
import { calendarDate, calendarDateText, calendarMonth, dateTime, shortDayText } from '../web/when.ts';
import { domesticNumber } from '../web/phone.ts';
import { revenueChart } from './chart.ts';
import { DAY_FIELDS, type AuditEntry, type CallRow, type CallStory, type CodeRow, type Dashboard, type DayField, type MemberRow, type MerchantRow } from './figures.ts';
import { ADMIN_WORDS } from './text.ts';

const MONEY_FIELDS = new Set<DayField>(['revenue', 'demo', 'codes_sold_amount', 'redeemed_amount', 'voided_amount']);

export interface AdminView {
  lang: WebLang;
  config: Config;
}

function consolePage(view: AdminView, path: string, title: string, body: Html): string {
  const w = ADMIN_WORDS[view.lang];
  const links = navLinks(
    [
      ['/admin', w.overview],
      ['/admin/members', w.members],
      ['/admin/ledger', w.ledger],
      ['/admin/calls', w.calls],
      ['/admin/codes', w.codes],
      ['/admin/merchants', w.merchants],
      ['/admin/audit', w.audit],
    ],
    path,
  );
  const nav = html`${links}<form method="post" action="/admin/logout"><button type="submit">${w.logout}</button></form>`;
  return page({ lang: view.lang, title: `${title} · ${w.title}`, body, path, nav, wide: true });
}

const money = (view: AdminView, amount: number) => formatAmount(amount, view.config.currency, localeOf(view.lang));
const when = (view: AdminView, ms: number) => dateTime(ms, view.lang, view.config.timeZone);
/** An event kind in the page's language, its code beside it for the operator who searches logs. */
const kindName = (view: AdminView, kind: string) => html`${ADMIN_WORDS[view.lang].kinds[kind] ?? kind} <code class="muted">${kind}</code>`;
/** How a charge was collected, in the page's language, its code beside it; blank for an event recorded before methods were. */
const methodName = (view: AdminView, method: string | undefined) => (method ? html`${ADMIN_WORDS[view.lang].methods[method] ?? method} <code class="muted">${method}</code>` : '');
const callLink = (callSid: string) => html`<a href="/admin/calls/${callSid}" data-testid="call-link"><code>${callSid}</code></a>`;
/** The audit trail's "who": a call links to its page, others as they are. */
const actorCell = (actor: string) => (/^call:[A-Za-z0-9]{2,64}$/.test(actor) ? callLink(actor.slice(5)) : actor);

export function adminLoginPage(lang: WebLang, errors?: FieldErrors): string {
  const w = ADMIN_WORDS[lang];
  const body = html`
<h1>${w.title}</h1>
<p class="lead">${w.loginIntro}</p>
${errorSummary(lang, errors)}
<form class="card" method="post" action="/admin" novalidate>
  <label for="token">${w.token}</label>
  ${fieldError(lang, 'token', errors)}
  <input id="token" name="token" type="password" autocomplete="current-password" maxlength="200" required${fieldAttrs('token', errors)}>
  <div><button class="primary" type="submit">${w.login}</button></div>
</form>`;
  return page({ lang, title: errors ? `${MESSAGES[lang].errorPrefix} ${w.title}` : w.title, body, path: '/admin', nav: html`` });
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
<section><h2>${w.today} <span class="muted">${calendarDate(d.today.day, view.lang)}</span></h2>${figureList(view, d.today, OVERVIEW_FIELDS, 'today')}</section>
<section><h2>${w.thisMonth} <span class="muted">${calendarMonth(d.month.day, view.lang)}</span></h2>${figureList(view, d.month, OVERVIEW_FIELDS, 'month')}</section>
<section class="card"><h2>${w.revenuePerDay}</h2>${revenueChart(d.days, (n) => money(view, n), w.revenuePerDay, { long: (day) => calendarDateText(day, view.lang), short: (day) => shortDayText(day, view.lang) })}</section>`;
  return consolePage(view, '/admin', w.overview, body);
}

export function membersPage(view: AdminView, result: Page<MemberRow>, q: string, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = result.items.map(
    (m) =>
      html`<tr data-testid="member" data-member="${m.memberId}"><td>${m.name}</td><td><a href="/admin/ledger?member=${m.memberId}">${m.memberId}</a></td><td>${m.formalIdTail}</td><td>${m.email}</td><td>${when(view, m.activatedAt)}</td><td>${when(view, m.accessExpiresAt)}</td></tr>`,
  );
  const body = html`
<h1>${w.members}</h1>
<form class="search" method="get" action="/admin/members"><div><label for="q">${w.memberSearch}</label><p class="hint" id="q-hint">${w.memberSearchHint}</p><input id="q" name="q" type="search" value="${q}" aria-describedby="q-hint"></div><button class="primary" type="submit">${w.search}</button></form>
${dataTable([w.name, w.member, w.formalIdTail, w.email, w.activated, w.accessUntil], rows, w.none)}
${pagerLinks('/admin/members', { q }, result.next, Boolean(cursor), w)}`;
  return consolePage(view, '/admin/members', w.members, body);
}

/** The audit trail's rows; on the ledger page (charges only) also how each was collected. */
function auditRows(view: AdminView, items: AuditEntry[], withMethod: boolean): Html[] {
  return items.map(
    (e) =>
      html`<tr data-testid="audit" data-kind="${e.kind}" data-amount="${e.amount ?? ''}" data-member="${e.memberId}" data-merchant="${e.merchantId}"${withMethod ? html` data-method="${e.method ?? ''}"` : ''}><td>${kindName(view, e.kind)}</td><td>${when(view, e.at)}</td><td>${actorCell(e.actor)}</td><td>${e.memberId ? html`<a href="/admin/ledger?member=${e.memberId}">${e.memberId}</a>` : ''}</td><td>${e.merchantId ? html`<a href="/admin/merchants/${e.merchantId}">${e.merchantId}</a>` : ''}</td><td class="num">${e.amount === undefined ? '' : money(view, e.amount)}</td>${withMethod ? html`<td>${methodName(view, e.method)}</td>` : ''}<td>${e.detail}</td></tr>`,
  );
}

/** The date range of a CSV export: its two fields, and the range's error beside them (400 when the range was bad). */
function rangeForm(view: AdminView, action: string, values: { from?: string; to?: string } = {}, errors?: FieldErrors): Html {
  const w = ADMIN_WORDS[view.lang];
  return html`${errorSummary(view.lang, errors)}<form class="search" method="get" action="${action}" novalidate><div><label for="from">${w.from}</label>${fieldError(view.lang, 'from', errors)}<input id="from" name="from" type="date" value="${values.from ?? ''}"${fieldAttrs('from', errors)}></div><div><label for="to">${w.to}</label>${fieldError(view.lang, 'to', errors)}<input id="to" name="to" type="date" value="${values.to ?? ''}"${fieldAttrs('to', errors)}></div><button class="primary" type="submit">${w.csv}</button></form>`;
}

export interface AuditFilters {
  kind: string;
  call?: string;
  range?: { values: { from?: string; to?: string }; errors: FieldErrors };
}

export function auditPageView(view: AdminView, path: '/admin/audit' | '/admin/ledger', result: Page<AuditEntry>, kinds: readonly string[], filters: AuditFilters, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const { kind, call } = filters;
  const title = path === '/admin/audit' ? w.audit : w.ledger;
  const body = html`
<h1>${title}</h1>
${call ? html`<p class="notice" data-testid="call-filter">${w.callFilter(call)} <a href="/admin/calls/${call}">${w.callTitle}</a> · <a href="${path}">${w.showAll}</a></p>` : ''}
<form class="search" method="get" action="${path}">${call ? html`<input type="hidden" name="call" value="${call}">` : ''}<div><label for="kind">${w.kindFilter}</label><select id="kind" name="kind"><option value="">${w.all}</option>${kinds.map((k) => html`<option value="${k}"${k === kind ? html` selected` : ''}>${w.kinds[k] ?? k}</option>`)}</select></div>${path === '/admin/ledger' ? html`<div><label for="member">${w.member}</label><input id="member" name="member" type="text" inputmode="numeric"></div>` : ''}<button class="primary" type="submit">${w.search}</button></form>
${path === '/admin/ledger' ? dataTable([w.what, w.when, w.who, w.member, w.merchant, w.amount, w.method, w.detail], auditRows(view, result.items, true), w.none, [5]) : dataTable([w.what, w.when, w.who, w.member, w.merchant, w.amount, w.detail], auditRows(view, result.items, false), w.none, [5])}
${pagerLinks(path, { kind, call }, result.next, Boolean(cursor), w)}
${path === '/admin/ledger' ? html`<h2 id="csv">${w.csv}</h2>${rangeForm(view, '/admin/ledger.csv', filters.range?.values, filters.range?.errors)}` : ''}`;
  return consolePage(view, path, title, body);
}

/** One member's charges, straight from their ledger (the books), newest first. */
export function memberLedgerPage(view: AdminView, memberId: string, result: ChargesPage, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = result.items.map(
    (c) =>
      html`<tr data-testid="charge" data-kind="${c.kind}" data-amount="${c.amount}" data-method="${c.method ?? ''}"><td>${w.kinds[c.kind === 'activation' ? 'account.activated' : c.kind === 'renewal' ? 'account.renewed' : c.kind === 'code_purchase' ? 'code.purchased' : 'payment_request.approved'] ?? c.kind}${c.codeLast4 ? ` …${c.codeLast4}` : ''}${c.paymentRequest ? ` ${c.paymentRequest}` : ''}</td><td class="num">${money(view, c.amount)}</td><td>${methodName(view, c.method)}</td><td>${when(view, c.at)}</td><td>${callLink(c.callSid)}</td><td>${c.from ? domesticNumber(c.from) : ''}</td></tr>`,
  );
  const body = html`
<h1>${w.ledger}: ${memberId}</h1>
${dataTable([w.kind, w.amount, w.method, w.when, w.call, w.from2], rows, w.none, [1])}
${!result.next && result.archived ? html`<p class="muted" data-testid="ledger-archived">${MESSAGES[view.lang].ledgerArchived(result.archived)}</p>` : ''}
${result.next || cursor ? html`<p class="pagers">${result.next ? html`<a data-testid="older" href="/admin/ledger?member=${memberId}&amp;cursor=${result.next}">${w.older}</a>` : ''}</p>` : ''}`;
  return consolePage(view, '/admin/ledger', w.ledger, body);
}

export function codesPageView(view: AdminView, result: Page<CodeRow>, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = result.items.map(
    (c) =>
      html`<tr data-testid="code" data-last4="${c.last4}" data-remaining="${c.remaining}" data-status="${c.status}"><td>${c.last4}</td><td class="num">${money(view, c.remaining)} / ${money(view, c.amount)}</td><td>${w.codeStatuses[c.status] ?? c.status}</td><td>${when(view, c.boughtAt)}</td><td><a href="/admin/ledger?member=${c.owner}">${c.owner}</a></td><td>${c.merchantId}</td><td>${when(view, c.expiresAt)}</td></tr>`,
  );
  const body = html`
<h1>${w.codes}</h1>
${dataTable([w.last4, w.left, w.status, w.when, w.owner, w.merchant, w.expires], rows, w.none, [1])}
${pagerLinks('/admin/codes', {}, result.next, Boolean(cursor), w)}`;
  return consolePage(view, '/admin/codes', w.codes, body);
}

export function callsPageView(view: AdminView, result: Page<CallRow>, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = result.items.map(
    (c) =>
      html`<tr data-testid="call" data-call="${c.callSid}" data-status="${c.status}"><td>${callLink(c.callSid)}</td><td>${when(view, c.endedAt)}</td><td>${c.from ? domesticNumber(c.from) : ''}</td><td>${w.callStatuses[c.status] ?? c.status}</td><td class="num">${c.durationSeconds}</td></tr>`,
  );
  const body = html`
<h1>${w.calls}</h1>
${dataTable([w.call, w.when, w.caller, w.outcome, w.duration], rows, w.none, [4])}
${pagerLinks('/admin/calls', {}, result.next, Boolean(cursor), w)}`;
  return consolePage(view, '/admin/calls', w.calls, body);
}

/** One call, whole: how it ended, what it did (each step that changed something), what it charged, and where a merchant was told. */
export function callDetailPage(view: AdminView, story: CallStory): string {
  const w = ADMIN_WORDS[view.lang];
  const r = story.record;
  const charges = story.events.filter((e) => e.amount !== undefined && ['account.activated', 'account.renewed', 'code.purchased', 'payment_request.approved'].includes(e.kind));
  const toMerchants = story.events.filter((e) => e.merchantId && e.kind.startsWith('payment_request.'));
  const body = html`
<h1>${w.callTitle} <code class="muted">${story.callSid}</code></h1>
<section class="card"><h2>${w.callRecord}</h2>
<dl class="facts" data-testid="call-record">
<dt>${w.outcome}</dt><dd>${r.CallStatus ? w.callStatuses[r.CallStatus] ?? r.CallStatus : w.callStatuses.removed}</dd>
<dt>${w.caller}</dt><dd>${r.From ? domesticNumber(r.From) : '—'}</dd>
<dt>${w.calledNumber}</dt><dd>${r.To ? domesticNumber(r.To) : '—'}</dd>
<dt>${w.duration}</dt><dd>${r.CallDuration ?? '—'}</dd>
<dt>${w.when}</dt><dd>${r.recordedAt ? when(view, Number(r.recordedAt)) : '—'}</dd>
</dl></section>
<section class="card"><h2>${w.callEvents}</h2>${dataTable([w.what, w.when, w.member, w.merchant, w.amount, w.detail], story.events.map((e) => html`<tr data-testid="call-event" data-kind="${e.kind}"><td>${kindName(view, e.kind)}</td><td>${when(view, e.at)}</td><td>${e.memberId ? html`<a href="/admin/ledger?member=${e.memberId}">${e.memberId}</a>` : ''}</td><td>${e.merchantId ? html`<a href="/admin/merchants/${e.merchantId}">${e.merchantId}</a>` : ''}</td><td class="num">${e.amount === undefined ? '' : money(view, e.amount)}</td><td>${e.detail}</td></tr>`), w.none, [4])}
<p><a href="/admin/audit?call=${story.callSid}">${w.audit}</a></p></section>
<section class="card"><h2>${w.callCharges}</h2>${dataTable([w.what, w.amount, w.member], charges.map((e) => html`<tr data-testid="call-charge" data-amount="${e.amount}"><td>${w.kinds[e.kind] ?? e.kind}</td><td class="num">${money(view, e.amount!)}</td><td><a href="/admin/ledger?member=${e.memberId}">${e.memberId}</a></td></tr>`), w.none, [1])}</section>
<section class="card"><h2>${w.callWebhooks}</h2><p class="muted">${w.callWebhooksNote}</p>${dataTable([w.what, w.merchant, w.detail], toMerchants.map((e) => html`<tr data-testid="call-webhook"><td>${w.kinds[e.kind] ?? e.kind}</td><td><a href="/admin/merchants/${e.merchantId}">${e.merchantId}</a></td><td>${e.detail}</td></tr>`), w.none)}</section>`;
  return consolePage(view, `/admin/calls/${story.callSid}`, w.callTitle, body);
}

export function merchantsPageView(view: AdminView, result: Page<MerchantRow>, q: string, cursor?: string): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = result.items.map(
    (m) =>
      html`<tr data-testid="merchant" data-merchant="${m.merchantId}" data-net="${m.settlement.net}"><td>${m.name}</td><td><a href="/admin/merchants/${m.merchantId}">${m.merchantId}</a></td><td>${when(view, m.createdAt)}</td><td class="num">${m.settlement.redemptions}</td><td class="num">${money(view, m.settlement.net)}</td></tr>`,
  );
  const body = html`
<h1>${w.merchants}</h1>
<form class="search" method="get" action="/admin/merchants"><div><label for="q">${w.merchantSearch}</label><input id="q" name="q" type="text" inputmode="numeric" value="${q}"></div><button class="primary" type="submit">${w.search}</button></form>
${dataTable([w.name, w.merchant, w.when, w.count, w.net], rows, w.none, [3, 4])}
${pagerLinks('/admin/merchants', { q }, result.next, Boolean(cursor), w)}`;
  return consolePage(view, '/admin/merchants', w.merchants, body);
}

export function merchantDetailPage(view: AdminView, merchant: MerchantRow, days: SettlementDay[], range?: { values: { from?: string; to?: string }; errors: FieldErrors }): string {
  const w = ADMIN_WORDS[view.lang];
  const rows = [...days].reverse().map(
    (d) =>
      html`<tr data-testid="settlement-day" data-date="${d.date}" data-net="${d.net}"><td>${calendarDate(d.date, view.lang)}</td><td class="num">${d.redemptions}</td><td class="num">${money(view, d.redeemed)}</td><td class="num" data-testid="approved" data-value="${d.approved}">${money(view, d.approved)}</td><td class="num">${money(view, d.voided)}</td><td class="num" data-testid="adjustments" data-value="${d.adjustments}">${money(view, d.adjustments)}</td><td class="num">${money(view, d.net)}</td></tr>`,
  );
  const body = html`
<h1>${merchant.name} <span class="muted">${merchant.merchantId}</span></h1>
<dl class="figures" data-testid="merchant-total"><div data-field="net" data-value="${merchant.settlement.net}"><dt>${w.net}</dt><dd>${money(view, merchant.settlement.net)}</dd></div><div><dt>${w.redeemed}</dt><dd>${money(view, merchant.settlement.redeemed)}</dd></div><div data-field="approved" data-value="${merchant.settlement.approved}"><dt>${w.approvedRequests}</dt><dd>${money(view, merchant.settlement.approved)}</dd></div><div><dt>${w.voided}</dt><dd>${money(view, merchant.settlement.voided)}</dd></div><div><dt>${w.webhook}</dt><dd class="small">${merchant.webhookUrl || '—'}</dd></div></dl>
<section class="card"><h2 id="csv">${w.settlement}</h2>
${rangeForm(view, `/admin/merchants/${merchant.merchantId}/settlement.csv`, range?.values, range?.errors)}
${dataTable([w.date, w.count, w.redeemed, w.approvedRequests, w.voided, w.adjustments, w.net], rows, w.none, [1, 2, 3, 4, 5, 6])}</section>`;
  return consolePage(view, `/admin/merchants/${merchant.merchantId}`, merchant.name, body);
}
