import type { Config } from '../config.ts';
import { usesMethod } from '../charging/methods.ts';
import { html, type Html } from '../web/layout.ts';
import { dateTime, dateTimeText, sentence } from '../web/when.ts';
import type { WebLang } from '../web/messages.ts';
import type { KeptCard } from './kept-card.ts';
import { CARD_TEXT } from './text.ts';


export const cardForgottenMessage = (lang: WebLang) => CARD_TEXT[lang].forgotten;

/** The member page's card section (when something is paid by card, and only once a card has paid). */
export function cardSection(lang: WebLang, config: Config, card: KeptCard | undefined): Html | '' {
  if (!usesMethod(config, 'card') || !card) return '';
  const t = CARD_TEXT[lang];
  return html`<section class="card" data-testid="payment-card">
  <h2>${t.title}</h2>
  <p>${t.card(card.type.toUpperCase(), card.last4)}</p>
  <p class="muted">${sentence(t.lastUsed(dateTimeText(card.at, lang, config.timeZone)), dateTimeText(card.at, lang, config.timeZone), dateTime(card.at, lang, config.timeZone) as Html)}</p>
  <p class="muted">${card.token ? t.token : t.noToken}</p>
  <form method="post" action="/service/card/forget"><button type="submit">${t.forget}</button></form>
</section>`;
}
