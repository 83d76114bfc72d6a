import { esc, html, Html } from './layout.ts';

/**
 * Gives each <td> of a row its column's name (data-label, shown before the value when the table
 * becomes cards on a narrow screen) and the cell role. Rows are our own templates: a <td> never
 * holds another table. An empty cell is marked so the card leaves it out.
 */
function labelled(row: Html, head: string[]): Html {
  let column = 0;
  const out = row.value.replace(/<td((?:\s[^>]*)?)>(<\/td>)?/g, (_match, attrs: string, closedAtOnce?: string) => {
    const label = head[column++] ?? '';
    const empty = closedAtOnce ? ' data-empty' : '';
    const withClass = empty ? (/\sclass="/.test(attrs) ? attrs.replace(/\sclass="/, ' class="empty ') : `${attrs} class="empty"`) : attrs;
    return `<td role="cell" data-label="${esc(label)}"${withClass}>${closedAtOnce ?? ''}`;
  });
  return new Html(out.replace(/^<tr/, '<tr role="row"'));
}

/**
 * A table of rows (or a line saying there is nothing). On a wide screen a table; below 640 px
 * (site.css, table.cards) every row is a card of "label: value" lines, so nothing scrolls
 * sideways. The ARIA roles keep it a table for screen readers when CSS changes its display.
 */
export function dataTable(head: string[], rows: Html[], empty: string, numericColumns: number[] = [], caption?: string): Html {
  if (!rows.length) return html`<p class="muted">${empty}</p>`;
  return html`<table class="cards" role="table">${caption ? html`<caption class="visually-hidden">${caption}</caption>` : ''}<thead role="rowgroup"><tr role="row">${head.map((h, i) => html`<th role="columnheader" scope="col" class="${numericColumns.includes(i) ? 'num' : ''}">${h || html`<span class="visually-hidden">—</span>`}</th>`)}</tr></thead><tbody role="rowgroup">${rows.map((row) => labelled(row, head))}</tbody></table>`;
}

/** "Older" (to the next cursor) and "back to the newest" links, keeping the page's other query parameters. */
export function pagerLinks(path: string, query: Record<string, string | undefined>, next: string | null | undefined, hasCursor: boolean, labels: { older: string; newest: string }): Html {
  const link = (cursor: string | undefined, label: string, testId: string) => {
    const q = new URLSearchParams(Object.entries({ ...query, cursor }).filter((e): e is [string, string] => Boolean(e[1]))).toString();
    return html`<a href="${path}${q ? `?${q}` : ''}" data-testid="${testId}">${label}</a>`;
  };
  return html`<p class="pagers">${next ? link(next, labels.older, 'older') : ''}${hasCursor ? link(undefined, labels.newest, 'newest') : ''}</p>`;
}
