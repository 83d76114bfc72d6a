import type { Config } from '../config.ts';
import { formatAmount } from '../shared/format.ts';
import { html, type Html } from '../web/layout.ts';
import { dataTable } from '../web/tables.ts';
import { date, dateTime } from '../web/when.ts';
import { domesticNumber } from '../web/phone.ts';
import { localeOf } from '../web/lang.ts';
import { MESSAGES, type WebLang } from '../web/messages.ts';
import type { Charge, HistoryCursors, MemberCode, MemberHistory, MemberRequest } from './history.ts';
import { HISTORY_TEXT } from './text.ts';


/** Link to another page of one section, keeping the other sections where they are. */
function pageLink(section: keyof HistoryCursors, cursor: string | undefined, current: HistoryCursors, label: string): Html {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(current)) if (name !== section && typeof value === 'string') params.set(name, value);
  if (cursor) params.set(section, cursor);
  const query = params.toString();
  return html`<a class="pager" href="/service${query ? `?${query}` : ''}#${section}" data-testid="${section}-${cursor ? 'older' : 'newest'}">${label}</a>`;
}

function pager(section: keyof HistoryCursors, next: string | undefined, current: HistoryCursors, lang: WebLang): Html {
  const w = HISTORY_TEXT[lang];
  const links = [next ? pageLink(section, next, current, w.older) : '', typeof current[section] === 'string' ? pageLink(section, undefined, current, w.newest) : ''];
  return html`<p class="pagers">${links}</p>`;
}

export function historySections(lang: WebLang, config: Config, history: MemberHistory, cursors: HistoryCursors): Html {
  const w = HISTORY_TEXT[lang];
  const locale = localeOf(lang);
  const money = (amount: number, currency = config.currency) => formatAmount(amount, currency, locale);
  const when = (ms: number) => dateTime(ms, lang, config.timeZone);
  const { cap } = history;

  const chargeWhat = (c: Charge) => {
    const kind = w.kinds[c.kind] ?? c.kind;
    if (c.codeLast4) return w.withCode(kind, c.codeLast4);
    if (c.paymentRequest) return [kind, c.merchantName, c.description].filter(Boolean).join(w.listSeparator);
    return kind;
  };
  const chargeRows = history.charges.items.map(
    (c) => html`<tr data-testid="charge" data-index="${c.index}" data-amount="${c.amount}" data-kind="${c.kind}"><td>${chargeWhat(c)}</td><td class="num">${money(c.amount, c.currency)}</td><td>${when(c.at)}</td><td>${c.from ? domesticNumber(c.from) : '—'}</td></tr>`,
  );
  const codeRows = history.codes.items.map(
    (c: MemberCode) =>
      html`<tr data-testid="code" data-last4="${c.last4}" data-remaining="${c.remaining}" data-status="${c.status}"><td>${w.codeEnding(c.last4)}</td><td class="num">${money(c.remaining, c.currency)} / ${money(c.amount, c.currency)}</td><td><span class="tag ${c.status}">${w.codeStatus[c.status]}</span></td><td>${date(c.expiresAt, lang, config.timeZone)}</td><td>${c.merchantName ?? w.anyMerchant}</td></tr>`,
  );
  const requestRows = history.requests.items.map(
    (r: MemberRequest) =>
      html`<tr data-testid="request" data-id="${r.id}" data-status="${r.status}" data-amount="${r.amount}"><td>${r.description}</td><td class="num">${money(r.amount, r.currency)}</td><td><span class="tag ${r.status}">${w.requestStatus[r.status]}</span></td><td>${r.merchantName}</td><td>${when(r.decidedAt)}</td></tr>`,
  );

  return html`
<section class="card" id="cap" data-testid="cap" data-cap="${cap.cap}" data-spent="${cap.spent}" data-left="${cap.left}">
  <h2>${w.capTitle}</h2>
  <p><strong>${w.capLine(money(cap.left), money(cap.cap), money(cap.spent))}</strong></p>
  <meter min="0" max="${cap.cap}" value="${cap.spent}" aria-label="${w.capTitle}"></meter>
  <p class="muted">${w.capNote}</p>
</section>
<section class="card" id="charges">
  <h2>${w.chargesTitle}</h2>
  ${dataTable([w.what, w.amount, w.date, w.line], chargeRows, w.noCharges, [1])}
  ${!history.charges.next && history.charges.archived ? html`<p class="muted" data-testid="charges-archived">${MESSAGES[lang].chargesArchived(history.charges.archived)}</p>` : ''}
  ${pager('charges', history.charges.next, cursors, lang)}
</section>
<section class="card" id="codes">
  <h2>${w.codesTitle}</h2>
  ${dataTable([w.code, w.left, w.status, w.expires, w.merchant], codeRows, w.noCodes, [1])}
  ${pager('codes', history.codes.next, cursors, lang)}
</section>
<section class="card" id="requests">
  <h2>${w.requestsTitle}</h2>
  ${dataTable([w.what, w.amount, w.status, w.merchant, w.date], requestRows, w.noRequests, [1])}
  ${pager('requests', history.requests.next, cursors, lang)}
</section>${
    history.refunds.length
      ? html`
<section class="card" id="refunds">
  <h2>${w.refundsTitle}</h2>
  <ul>${history.refunds.map((r) => html`<li data-testid="refund" data-amount="${r.amount}">${when(r.at)} — ${w.refundLine(w.kinds[r.kind] ?? r.kind, money(r.amount), w.refundHow[r.processor] ?? r.processor, r.refunded)}</li>`)}</ul>
</section>`
      : ''
  }`;
}
