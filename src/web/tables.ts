import { html, type Html } from './layout.ts';

/** A table of rows (or a line saying there is nothing), scrolling sideways on narrow screens. */
export function dataTable(head: string[], rows: Html[], empty: string, numericColumns: number[] = []): Html {
  if (!rows.length) return html`<p class="muted">${empty}</p>`;
  return html`<div class="table-wrap"><table><thead><tr>${head.map((h, i) => html`<th class="${numericColumns.includes(i) ? 'num' : ''}">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** "Older" (to the next cursor) and "back to the newest" links, keeping the page's other query parameters. */
export function pagerLinks(path: string, query: Record<string, string | undefined>, next: string | null | undefined, hasCursor: boolean, labels: { older: string; newest: string }): Html {
  const link = (cursor: string | undefined, label: string, testId: string) => {
    const q = new URLSearchParams(Object.entries({ ...query, cursor }).filter((e): e is [string, string] => Boolean(e[1]))).toString();
    return html`<a href="${path}${q ? `?${q}` : ''}" data-testid="${testId}">${label}</a>`;
  };
  return html`<p class="pagers">${next ? link(next, labels.older, 'older') : ''}${hasCursor ? link(undefined, labels.newest, 'newest') : ''}</p>`;
}
