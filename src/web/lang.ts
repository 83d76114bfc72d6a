import type { Request, Response } from 'express';
import type { Locale } from '../config.ts';
import { WEB_LANGS, type WebLang } from './messages.ts';

const LANG_COOKIE = 'dp_lang';
export const webLangOf = (locale: Locale): WebLang => (locale === 'en-US' ? 'en' : 'ja');
export const localeOf = (lang: WebLang): Locale => (lang === 'en' ? 'en-US' : 'ja-JP');

/** ?lang= wins (and is remembered), then the cookie, then Accept-Language, then DEFAULT_LOCALE. */
export function pickLang(req: Request, res: Response, defaultLocale: Locale): WebLang {
  const asked = WEB_LANGS.find((l) => l === req.query.lang);
  if (asked) {
    res.cookie(LANG_COOKIE, asked, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 86400_000 });
    return asked;
  }
  const remembered = WEB_LANGS.find((l) => l === req.cookies?.[LANG_COOKIE]);
  if (remembered) return remembered;
  const accepted = req.acceptsLanguages('ja', 'en');
  return accepted === 'ja' || accepted === 'en' ? accepted : webLangOf(defaultLocale);
}
