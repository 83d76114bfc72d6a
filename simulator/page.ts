import type { Config } from '../src/config.ts';
import { html, page } from '../src/web/layout.ts';
import type { WebLang } from '../src/web/messages.ts';

const TEXT = {
  ja: {
    title: '通話シミュレーター',
    intro: (number: string) =>
      `${number} に電話をかけたときと同じように、この画面から dialpass の音声案内を試せます。リクエストは Twilio と同じ形式・同じ署名でサーバーから送られます。`,
    keysHelp: 'キーパッドをクリックするか、キーボードの 0〜9・*・# を押してください。何も押さずに待つときは「無言」を押します。',
    from: '発信元の番号',
    call: '発信',
    hangUp: '切る',
    silence: '無言（タイムアウト）',
    speak: '案内を読み上げる',
    transcript: '通話の記録',
    entry: '入力中のキー',
    devOnly: 'これは開発・テスト用の画面です。本番環境では SIMULATOR_ENABLED=true のときだけ表示されます。',
  },
  en: {
    title: 'Call simulator',
    intro: (number: string) =>
      `Try dialpass's voice menu as if you were calling ${number}. The server sends the same webhooks Twilio would, in the same form and with the same signature.`,
    keysHelp: 'Click the keypad or type 0–9, * and # on your keyboard. To wait without pressing anything, use "Silence".',
    from: 'Calling from',
    call: 'Call',
    hangUp: 'Hang up',
    silence: 'Silence (time out)',
    speak: 'Read prompts aloud',
    transcript: 'Transcript',
    entry: 'Keys so far',
    devOnly: 'This page is for development and testing. In production it only exists when SIMULATOR_ENABLED=true.',
  },
} satisfies Record<WebLang, Record<string, unknown>>;

const KEYPAD = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

/** The phone page. All behaviour is in /simulator/assets/simulator.js (the CSP allows no inline script). */
export function simulatorPage(lang: WebLang, config: Config): string {
  const t = TEXT[lang];
  const body = html`
<link rel="stylesheet" href="/simulator/assets/simulator.css">
<h1>${t.title}</h1>
<p class="lead">${t.intro(config.servicePhoneNumber)}</p>
<div class="simulator" id="simulator" data-lang="${lang}">
  <section class="phone card" aria-label="${t.title}">
    <label for="from">${t.from}</label>
    <input id="from" name="from" type="tel" value="" placeholder="+819012345678" autocomplete="off">
    <output id="entry" class="entry" data-testid="entry" aria-label="${t.entry}"></output>
    <div class="keypad" role="group" aria-label="keypad">
      ${KEYPAD.map((key) => html`<button type="button" class="key" data-key="${key}" data-testid="key-${key}" disabled>${key}</button>`)}
    </div>
    <div class="controls">
      <button type="button" id="call" class="call" data-testid="call">${t.call}</button>
      <button type="button" id="hangup" class="hangup" data-testid="hangup" disabled>${t.hangUp}</button>
    </div>
    <button type="button" id="silence" class="silence" data-testid="silence" disabled>${t.silence}</button>
    <label class="speak"><input type="checkbox" id="speak" checked> ${t.speak}</label>
    <p id="status" class="status muted" data-testid="status" role="status"></p>
  </section>
  <section class="card transcript-card">
    <h2>${t.transcript}</h2>
    <ol id="transcript" class="transcript" data-testid="transcript" aria-live="polite"></ol>
  </section>
</div>
<p class="muted">${t.keysHelp}</p>
<p class="muted">${t.devOnly}</p>
<script type="module" src="/simulator/assets/simulator.js"></script>`;
  return page({ lang, title: t.title, body, path: '/simulator' });
}
