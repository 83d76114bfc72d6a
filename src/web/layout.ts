import { MESSAGES, type Messages, type WebLang } from './messages.ts';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML; the only way text reaches a page. */
export const esc = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** Marks already-built HTML so `html` does not escape it again. */
export class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

/** Tagged template: interpolated values are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    const render = (v: unknown): string => (v instanceof Html ? v.value : Array.isArray(v) ? v.map(render).join('') : v == null || v === false ? '' : esc(v));
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

export interface PageOptions {
  lang: WebLang;
  title: string;
  body: Html;
  /** Path of this page, for the language switch link. */
  path: string;
  signedIn?: boolean;
  /** The header's links instead of the member's (the operator console, the merchant dashboard). */
  nav?: Html;
  /** Wide pages for tables (console, dashboard). */
  wide?: boolean;
}

/** Header links, the one for the page shown marked aria-current="page" (a section's pages count as its own: /admin/merchants/123 is under Merchants). */
export function navLinks(items: [href: string, label: string][], currentPath: string): Html {
  const current = [...items].map(([href]) => href).filter((href) => currentPath === href || (href !== '/' && href.split('/').length > 2 && currentPath.startsWith(`${href}/`))).sort((a, b) => b.length - a.length)[0];
  return html`${items.map(([href, label]) => html`<a href="${href}"${href === current ? new Html(' aria-current="page"') : ''}>${label}</a>`)}`;
}

export function page({ lang, title, body, path, signedIn, nav: ownNav, wide }: PageOptions): string {
  const t: Messages = MESSAGES[lang];
  const other: WebLang = lang === 'ja' ? 'en' : 'ja';
  const nav = ownNav
    ? ownNav
    : signedIn
    ? html`${navLinks([['/service', MESSAGES[lang].serviceTitle]], path)}<form method="post" action="/logout"><button type="submit">${t.logout}</button></form>`
    : navLinks([['/register', t.register], ['/login', t.login]], path);
  return `<!doctype html>${html`<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · dialpass</title>
<link rel="stylesheet" href="/assets/site.css">
<link rel="icon" href="data:,">
</head>
<body${wide ? new Html(' class="wide"') : ''}>
<a class="skip-link" href="#main">${t.skipToContent}</a>
<header class="site"><div class="bar"><a class="brand" href="/">dial<span>pass</span></a><nav aria-label="${t.siteNav}">${nav}<a href="${path}?lang=${other}" hreflang="${other}" lang="${other}" data-testid="other-language">${t.otherLanguage}</a></nav></div></header>
<main id="main" tabindex="-1">${body}</main>
<footer class="site">dialpass · ${t.tagline}</footer>
</body>
</html>`.value}`;
}
