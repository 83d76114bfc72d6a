import type { PageLang } from './http.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (value: string): string => value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

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
    speak: '案内を音声で読み上げる（画面読み上げソフトをお使いの方はオフのままにしてください）',
    lastPrompt: '最新の案内',
    skip: '本文へ移動',
    transcript: '通話の記録',
    entry: '入力中のキー',
    devOnly: 'これは開発・テスト用の画面です。本番環境では SIMULATOR_ENABLED=true のときだけ表示されます。',
    home: 'dialpass のトップへ',
    keypad: 'キーパッド',
    otherLanguage: 'English',
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
    speak: 'Read prompts aloud (leave off if you use a screen reader)',
    lastPrompt: 'Latest prompt',
    skip: 'Skip to main content',
    transcript: 'Transcript',
    entry: 'Keys so far',
    devOnly: 'This page is for development and testing. In production it only exists when SIMULATOR_ENABLED=true.',
    home: 'dialpass home',
    keypad: 'Keypad',
    otherLanguage: '日本語',
  },
} satisfies Record<PageLang, Record<string, unknown>>;

const KEYPAD = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

/**
 * The phone page, standing alone (it shares only the site's stylesheet, over HTTP). All behaviour
 * is in /simulator/assets/simulator.js (the site's CSP allows no inline script).
 */
export function simulatorPage(lang: PageLang, servicePhoneNumber: string): string {
  const t = TEXT[lang];
  const other: PageLang = lang === 'ja' ? 'en' : 'ja';
  const keypad = KEYPAD.map((key) => `<button type="button" class="key" data-key="${esc(key)}" data-testid="key-${esc(key)}" aria-disabled="true">${esc(key)}</button>`).join('');
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(t.title)} · dialpass</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/site.css">
<link rel="stylesheet" href="/simulator/assets/simulator.css">
</head>
<body>
<a class="skip-link" href="#main">${esc(t.skip)}</a>
<header class="site"><div class="bar"><a class="brand" href="/" aria-label="${esc(t.home)}">dial<span>pass</span></a><nav><a href="/simulator?lang=${other}" hreflang="${other}" lang="${other}">${esc(t.otherLanguage)}</a></nav></div></header>
<main id="main" tabindex="-1">
<h1>${esc(t.title)}</h1>
<p class="lead">${esc(t.intro(servicePhoneNumber))}</p>
<div class="simulator" id="simulator" data-lang="${lang}">
  <section class="phone card" aria-label="${esc(t.title)}">
    <label for="from">${esc(t.from)}</label>
    <input id="from" name="from" type="tel" value="" placeholder="+819012345678" autocomplete="off">
    <p id="prompt" class="prompt" data-testid="prompt" aria-hidden="true" title="${esc(t.lastPrompt)}"></p>
    <p id="status" class="status muted" data-testid="status" role="status"></p>
    <output id="entry" class="entry" data-testid="entry" aria-label="${esc(t.entry)}"></output>
    <div class="keypad" role="group" aria-label="${esc(t.keypad)}">${keypad}</div>
    <div class="controls">
      <button type="button" id="call" class="call" data-testid="call">${esc(t.call)}</button>
      <button type="button" id="hangup" class="hangup" data-testid="hangup" disabled>${esc(t.hangUp)}</button>
    </div>
    <button type="button" id="silence" class="silence" data-testid="silence" disabled>${esc(t.silence)}</button>
    <label class="speak"><input type="checkbox" id="speak"> ${esc(t.speak)}</label>
  </section>
  <section class="card transcript-card">
    <h2 id="transcript-title">${esc(t.transcript)}</h2>
    <ol id="transcript" class="transcript" data-testid="transcript" aria-live="polite" tabindex="0" aria-labelledby="transcript-title"></ol>
  </section>
</div>
<p class="muted">${esc(t.keysHelp)}</p>
<p class="muted">${esc(t.devOnly)}</p>
</main>
<script type="module" src="/simulator/assets/simulator.js"></script>
</body>
</html>`;
}
