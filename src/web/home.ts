import express, { type Router } from 'express';
import type { Config } from '../config.ts';
import { html, page } from './layout.ts';
import { pickLang } from './lang.ts';
import { MESSAGES, type WebLang } from './messages.ts';

export function homePage(lang: WebLang, signedIn: boolean, methods: Config['charging']['methods']): string {
  const t = MESSAGES[lang];
  const fee = methods.activation;
  const others = [methods.codes !== fee ? t.codesBy[methods.codes] : '', methods.approvals !== fee ? t.approvalsBy[methods.approvals] : ''].filter(Boolean).join(' ');
  const body = html`
<h1>dialpass</h1>
<p class="lead">${t.tagline}</p>
<p>${t.homeIntro[fee]}${others ? ` ${others}` : ''}</p>
<section class="card">
  <h2>${t.howItWorks}</h2>
  <ol class="steps"><li>${t.step1}</li><li>${t.step2}</li><li>${t.step3}</li><li>${t.step4}</li></ol>
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
    res.send(homePage(pickLang(req, res, config.defaultLocale), Boolean(res.locals.memberId), config.charging.methods));
  });
  return router;
}
