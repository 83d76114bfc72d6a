import type { Config } from '../config.ts';
import { formatDateTime } from '../shared/format.ts';
import { html, type Html } from '../web/layout.ts';
import { localeOf } from '../web/lang.ts';
import type { WebLang } from '../web/messages.ts';
import type { KeptCard } from './kept-card.ts';

const TEXT = {
  ja: {
    title: 'お支払いカード',
    card: (type: string, last4: string) => `${type} 末尾 ${last4}`,
    lastUsed: (when: string) => `最後のお支払い: ${when}`,
    token: 'このカードは次回のお支払いのために保存されています。',
    noToken: '保存されているのは下4桁とカードの種類だけです。お電話でのお支払いでは毎回カード番号をお伺いします。',
    forget: 'このカードを削除',
    forgotten: 'カード情報を削除しました。',
  },
  en: {
    title: 'Payment card',
    card: (type: string, last4: string) => `${type} ending ${last4}`,
    lastUsed: (when: string) => `Last paid: ${when}`,
    token: 'This card is kept for your next payment.',
    noToken: 'Only the last four digits and the card type are kept; each payment by phone asks for the card number.',
    forget: 'Forget this card',
    forgotten: 'The card has been forgotten.',
  },
} as const satisfies Record<WebLang, Record<string, unknown>>;

export const cardForgottenMessage = (lang: WebLang) => TEXT[lang].forgotten;

/** The member page's card section (CHARGE_METHOD=card only, and only once a card has paid). */
export function cardSection(lang: WebLang, config: Config, card: KeptCard | undefined): Html | '' {
  if (config.chargeMethod !== 'card' || !card) return '';
  const t = TEXT[lang];
  return html`<section class="card" data-testid="payment-card">
  <h2>${t.title}</h2>
  <p>${t.card(card.type.toUpperCase(), card.last4)}</p>
  <p class="muted">${t.lastUsed(formatDateTime(card.at, localeOf(lang), config.timeZone))} ${card.token ? t.token : t.noToken}</p>
  <form method="post" action="/service/card/forget"><button type="submit">${t.forget}</button></form>
</section>`;
}
