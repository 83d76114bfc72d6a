// The phone on /simulator. The server runs the TwiML interpreter; this page only collects keys the
// way a handset would (numDigits, the finish key, the inter-digit timeout) and shows and speaks
// what the call says.
const root = document.getElementById('simulator');
const lang = root.dataset.lang === 'ja' ? 'ja' : 'en';
const WORDS = {
  ja: {
    calling: '発信中…',
    waiting: (w) => (w.numDigits ? (w.numDigits === 1 ? 'キーを1つ押してください' : `キーを${w.numDigits}桁押してください`) : w.finishOnKey ? `キーを押し、最後に ${w.finishOnKey} を押してください` : 'キーを押してください'),
    youPressed: 'あなた: ',
    silence: '（無言）',
    ended: (status, seconds) => `通話終了（${status}、${seconds}秒）`,
    error: 'エラー: ',
    play: '♪ 再生: ',
    pause: (s) => `（${s}秒の間）`,
    tones: '♪ トーン: ',
  },
  en: {
    calling: 'Calling…',
    waiting: (w) => (w.numDigits ? `Press ${w.numDigits} ${w.numDigits === 1 ? 'key' : 'keys'}` : w.finishOnKey ? `Press keys, then ${w.finishOnKey}` : 'Press keys'),
    youPressed: 'You: ',
    silence: '(silence)',
    ended: (status, seconds) => `Call ended (${status}, ${seconds} s)`,
    error: 'Error: ',
    play: '♪ plays ',
    pause: (s) => `(pause, ${s} s)`,
    tones: '♪ tones ',
  },
}[lang];

const $ = (id) => document.getElementById(id);
const transcript = $('transcript');
const entryView = $('entry');
const statusView = $('status');
const promptView = $('prompt');
const speakBox = $('speak');
const keyButtons = [...document.querySelectorAll('.key')];

let call = null; // { id, waitingFor }
let entry = '';
let timer = null;
let busy = false;

// Every transcript line says its language: a prompt its voice's (ja-JP, en-US), the rest the page's.
function line(className, text, data = {}, language = root.dataset.lang) {
  const li = document.createElement('li');
  li.className = className;
  li.lang = language || root.dataset.lang;
  li.textContent = text;
  for (const [k, v] of Object.entries(data)) li.dataset[k] = v;
  transcript.append(li);
  // The newest line comes into view inside the transcript only: scrolling the page would take a
  // phone's screen away from the keypad and the prompt above it.
  transcript.scrollTop = transcript.scrollHeight;
  return li;
}

function speak(text, language) {
  if (!speakBox.checked || !('speechSynthesis' in window)) return;
  const utterance = new SpeechSynthesisUtterance(text);
  if (language) {
    utterance.lang = language;
    const voice = speechSynthesis.getVoices().find((v) => v.lang === language || v.lang.startsWith(language.slice(0, 2)));
    if (voice) utterance.voice = voice;
  }
  speechSynthesis.speak(utterance);
}

function show(event) {
  switch (event.type) {
    case 'say': {
      const li = line('say', '', { numbers: event.numbers.join(' '), language: event.language ?? '' }, event.language);
      const badge = document.createElement('span');
      badge.className = 'lang';
      badge.textContent = event.language ?? '';
      badge.setAttribute('aria-hidden', 'true');
      li.append(badge, document.createTextNode(event.text));
      // The latest prompt stays in sight above the keypad (on a phone the transcript is below it).
      promptView.textContent = event.text;
      promptView.lang = event.language || root.dataset.lang;
      speak(event.text, event.language);
      break;
    }
    case 'play':
      line('play', event.digits ? WORDS.tones + event.digits : WORDS.play + event.url);
      break;
    case 'pause':
      line('pause', WORDS.pause(event.seconds));
      break;
    case 'keys':
      line('keys', WORDS.youPressed + (event.digits + event.finishedOnKey || WORDS.silence));
      break;
    case 'request':
      line('webhook', `${event.method} ${new URL(event.url).pathname}`);
      break;
    case 'response':
      if (event.status >= 300) line('webhook error', `→ ${event.status}`);
      break;
    case 'ended':
      line('ended', WORDS.ended(event.callStatus, event.duration));
      break;
  }
}

// Keys are never `disabled` (a disabled button loses focus, and a keyboard user would start again
// from the top of the page): aria-disabled says they do nothing now, and press() ignores them.
function setKeysEnabled(enabled) {
  for (const b of keyButtons) b.setAttribute('aria-disabled', String(!enabled));
  $('silence').setAttribute('aria-disabled', String(!enabled));
}

// Read aloud by the page, or by the visitor's screen reader through the live region: never both.
function applySpeakChoice() {
  transcript.setAttribute('aria-live', speakBox.checked ? 'off' : 'polite');
  if (!speakBox.checked && 'speechSynthesis' in window) speechSynthesis.cancel();
}
speakBox.addEventListener('change', applySpeakChoice);
applySpeakChoice();

function applyTurn(turn) {
  turn.events.forEach(show);
  if (turn.error) line('error', WORDS.error + turn.error.message);
  entry = '';
  entryView.textContent = '';
  if (turn.ended) {
    call = null;
    setKeysEnabled(false);
    const hadFocus = document.activeElement === $('hangup') || keyButtons.includes(document.activeElement) || document.activeElement === $('silence');
    $('call').disabled = false;
    $('hangup').disabled = true;
    if (hadFocus) $('call').focus();
    statusView.textContent = '';
    root.dataset.state = 'ended';
    return;
  }
  call = { id: turn.callId, waitingFor: turn.waitingFor };
  setKeysEnabled(Boolean(turn.waitingFor));
  statusView.textContent = turn.waitingFor ? WORDS.waiting(turn.waitingFor) : '';
  root.dataset.state = turn.waitingFor ? 'waiting' : 'busy';
}

async function post(path, body) {
  busy = true;
  try {
    const res = await fetch(`/simulator/api${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(json.error?.message ?? `HTTP ${res.status}`);
    applyTurn(json);
  } catch (error) {
    line('error', WORDS.error + error.message);
  } finally {
    busy = false;
  }
}

function submit(keys) {
  clearTimeout(timer);
  if (!call || busy) return;
  setKeysEnabled(false);
  root.dataset.state = 'busy';
  void post(`/calls/${call.id}/keys`, { keys });
}

function press(key) {
  if (!call?.waitingFor || busy) return;
  // A key pressed during a prompt interrupts it, as on a real call.
  if ('speechSynthesis' in window) speechSynthesis.cancel();
  entry += key;
  entryView.textContent = entry;
  const rules = call.waitingFor;
  const digits = rules.finishOnKey ? entry.split(rules.finishOnKey)[0] : entry;
  if ((rules.finishOnKey && key === rules.finishOnKey) || (rules.numDigits && digits.length >= rules.numDigits)) return submit(entry);
  clearTimeout(timer);
  timer = setTimeout(() => submit(entry), rules.timeout * 1000);
}

$('call').addEventListener('click', () => {
  if (call || busy) return;
  transcript.replaceChildren();
  $('hangup').disabled = false;
  // The call button goes quiet during the call: focus moves to the keypad rather than to <body>.
  keyButtons[0].focus({ preventScroll: true });
  document.querySelector('.phone').scrollIntoView({ block: 'start' });
  $('call').disabled = true;
  statusView.textContent = WORDS.calling;
  void post('/calls', { from: $('from').value });
});
$('hangup').addEventListener('click', () => {
  clearTimeout(timer);
  if ('speechSynthesis' in window) speechSynthesis.cancel();
  if (call) void post(`/calls/${call.id}/hangup`, {});
});
$('silence').addEventListener('click', () => {
  if ($('silence').getAttribute('aria-disabled') !== 'true') submit('');
});
for (const button of keyButtons) button.addEventListener('click', () => press(button.dataset.key));
document.addEventListener('keydown', (event) => {
  if (event.target instanceof HTMLInputElement || event.ctrlKey || event.metaKey || event.altKey) return;
  if (/^[0-9*#]$/.test(event.key)) {
    event.preventDefault();
    press(event.key);
  }
});
root.dataset.state = 'idle';
