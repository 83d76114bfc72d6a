import express, { type Router } from 'express';
import type { Config } from '../config.ts';
import { premiumNumberOf } from '../charging/methods.ts';
import { formatAmount } from '../shared/format.ts';
import { html, page } from './layout.ts';
import { pickLang } from './lang.ts';
import { MESSAGES, type WebLang } from './messages.ts';

/**
 * The home page: how each fee is really collected under the configuration in force. A demo
 * (`none`) costs nothing itself, but when the number members are told to call
 * (SERVICE_PHONE_NUMBER) is a premium-rate number, its carrier bills every call its tariff: the
 * page says so rather than "nothing is charged" (docs/CHARGING.md, none).
 */
export function homePage(lang: WebLang, signedIn: boolean, config: Pick<Config, 'charging' | 'servicePhoneNumber' | 'currency'>): string {
  const t = MESSAGES[lang];
  const { methods } = config.charging;
  const fee = methods.activation;
  const number = premiumNumberOf(config, config.servicePhoneNumber);
  const amount = number && formatAmount(number.amount, config.currency, lang === 'ja' ? 'ja-JP' : 'en-US');
  const tariff = number && amount ? (number.per === 'call' ? t.tariffPerCall(amount) : t.tariffPerMinute(amount)) : undefined;
  const codes = methods.codes !== fee ? methods.codes : undefined;
  const approvals = methods.approvals !== fee ? methods.approvals : undefined;
  const intro = fee === 'none' && tariff ? t.homeIntroDemoOnBilledNumber(tariff) : t.homeIntro[fee];
  const others =
    tariff && codes === 'none' && approvals === 'none'
      ? t.codesAndApprovalsDemoOnBilledNumber(tariff)
      : [
          codes === undefined ? '' : codes === 'none' && tariff ? t.codesDemoOnBilledNumber(tariff) : t.codesBy[codes],
          approvals === undefined ? '' : approvals === 'none' && tariff ? t.approvalsDemoOnBilledNumber(tariff) : t.approvalsBy[approvals],
        ]
          .filter(Boolean)
          .join(' ');
  const body = html`
<h1>dialpass</h1>
<p class="lead">${t.tagline}</p>
<p>${intro}${others ? ` ${others}` : ''}</p>
<section class="card">
  <h2>${t.howItWorks}</h2>
  <ol class="steps"><li>${t.step1}</li><li>${t.step2}</li><li>${fee === 'none' ? t.step3Demo : t.step3}</li><li>${t.step4}</li></ol>
  <div class="actions"><a class="button" href="/register">${t.register}</a><a class="button secondary" href="/login">${t.login}</a></div>
</section>`;
  return page({ lang, title: t.tagline, body, path: '/', signedIn });
}

export function notFoundPage(lang: WebLang): string {
  const t = MESSAGES[lang];
  return page({ lang, title: t.notFoundTitle, body: html`<h1>${t.notFoundTitle}</h1><p><a href="/">${t.backHome}</a></p>`, path: '/' });
}

export function errorPage(lang: WebLang, message: string): string {
  const t = MESSAGES[lang];
  return page({ lang, title: t.errorTitle, body: html`<h1>${t.errorTitle}</h1><p class="error">${message}</p><p><a href="/">${t.backHome}</a></p>`, path: '/' });
}

export function homeRouter(config: Config): Router {
  const router = express.Router();
  router.get('/', (req, res) => {
    res.send(homePage(pickLang(req, res, config.defaultLocale), Boolean(res.locals.memberId), config));
  });
  return router;
}
