import { Html, esc } from './layout.ts';

/**
 * Phone numbers as people in Japan write them: 「050-1234-5678」, 「090-1234-5678」, 「03-1234-5678」,
 * 「0120-123-456」 (the national number with its leading 0, grouped by the number's kind), from
 * the E.164 form the app keeps (+815012345678, or written with hyphens). Numbers of other
 * countries stay international.
 */
export function domesticNumber(number: string): string {
  const digits = number.replace(/[^\d+]/g, '');
  const national = /^\+81(\d{9,10})$/.exec(digits)?.[1];
  if (!national) return number;
  const n = `0${national}`;
  if (/^0[5789]0\d{8}$/.test(n)) return `${n.slice(0, 3)}-${n.slice(3, 7)}-${n.slice(7)}`;
  if (/^0(120|800)\d{6,7}$/.test(n)) return n.length === 10 ? `${n.slice(0, 4)}-${n.slice(4, 7)}-${n.slice(7)}` : `${n.slice(0, 4)}-${n.slice(4, 7)}-${n.slice(7)}`;
  if (/^0[36]\d{8}$/.test(n)) return `${n.slice(0, 2)}-${n.slice(2, 6)}-${n.slice(6)}`;
  if (n.length === 10) return `${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`;
  return n;
}

/** The number as a tel: link (E.164 in the href, the domestic form shown). */
export function telLink(number: string, attrs = ''): Html {
  const e164 = number.replace(/[^\d+]/g, '');
  return new Html(`<a href="tel:${esc(e164)}"${attrs} class="tel">${esc(domesticNumber(number))}</a>`);
}
