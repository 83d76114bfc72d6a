import { html, type Html } from '../web/layout.ts';

const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 64;
const BOTTOM = 24;
const TOP = 12;

/** Bars of revenue per day as inline SVG: drawn on the server, no script, no network. */
export function revenueChart(days: { day: string; revenue: number }[], money: (n: number) => string, label: string, dayText: { long: (day: string) => string; short: (day: string) => string } = { long: (d) => d, short: (d) => d.slice(5) }): Html {
  const max = Math.max(1, ...days.map((d) => d.revenue));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / Math.max(1, days.length);
  const bars = days.map((d, i) => {
    const h = Math.round((d.revenue / max) * plotHeight);
    const x = LEFT + i * slot + slot * 0.15;
    return html`<rect class="bar" data-day="${d.day}" data-revenue="${d.revenue}" x="${x.toFixed(1)}" y="${TOP + plotHeight - h}" width="${(slot * 0.7).toFixed(1)}" height="${h}"><title>${dayText.long(d.day)}: ${money(d.revenue)}</title></rect>`;
  });
  const ticks = days.map((d, i) => (i % 5 === 0 || i === days.length - 1 ? html`<text x="${(LEFT + i * slot + slot / 2).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="middle">${dayText.short(d.day)}</text>` : ''));
  return html`<svg class="chart" data-testid="revenue-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${label}" xmlns="http://www.w3.org/2000/svg">
<line x1="${LEFT}" y1="${TOP + plotHeight}" x2="${WIDTH}" y2="${TOP + plotHeight}" stroke="#c9c3b6"/>
<line x1="${LEFT}" y1="${TOP}" x2="${WIDTH}" y2="${TOP}" stroke="#e2ded5" stroke-dasharray="4 4"/>
<text x="${LEFT - 6}" y="${TOP + 4}" text-anchor="end">${money(max)}</text>
<text x="${LEFT - 6}" y="${TOP + plotHeight}" text-anchor="end">${money(0)}</text>
${bars}${ticks}
</svg>`;
}
