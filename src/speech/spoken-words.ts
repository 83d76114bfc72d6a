import type { Locale } from '../config.ts';
import { foldTranscript, readings, TokenTable, unitsOf } from './segment.ts';

/**
 * The words a caller may say instead of a menu key, and yes / no. An utterance means one thing
 * only when the whole of it is covered by one word's phrases and fillers: "はい、お願いします" is
 * yes, "yes… no" is two things and so nothing, and a word of no table at all is nothing too.
 */
export const INTENTS = ['yes', 'no', 'activate', 'buy', 'approve', 'renew', 'english', 'japanese', 'menu', 'again', 'merchant'] as const;
export type Intent = (typeof INTENTS)[number];

/** What each word sounds like, as recognisers write it: kanji and kana (one table, folded), English words. */
export const INTENT_PHRASES: Record<Intent, Record<Locale, string[]>> = {
  yes: {
    'ja-JP': ['はい', 'ええ', 'うん', 'そうです', 'そう', 'その通り', 'そのとおり', '正しい', 'ただしい', '合っています', 'あっています', '合ってます', 'あってます', 'オーケー', 'ok', 'yes', 'イエス'],
    'en-US': ['yes', 'yeah', 'yep', 'yup', 'yes it is', 'correct', 'right', 'thats right', 'thats correct', 'sure', 'okay', 'ok', 'confirm', 'agree', 'i agree'],
  },
  no: {
    'ja-JP': ['いいえ', 'いえ', 'いや', '違います', 'ちがいます', '違う', 'ちがう', '間違い', 'まちがい', '間違いです', 'キャンセル', 'やめる', 'やめます', '結構です', 'けっこうです', 'しません', 'いらない', 'いりません', 'no', 'ノー'],
    'en-US': ['no', 'nope', 'nah', 'wrong', 'incorrect', 'thats wrong', 'not right', 'cancel', 'stop', 'do not', 'dont', 'decline', 'no thanks'],
  },
  activate: {
    'ja-JP': ['登録', 'とうろく', '仮id', '仮idの登録', '有効化', 'ゆうこうか', 'アクティベート', '新規登録', 'しんきとうろく'],
    'en-US': ['activate', 'activation', 'register', 'registration', 'provisional id', 'new member', 'sign up'],
  },
  buy: {
    'ja-JP': ['購入', 'こうにゅう', 'コード購入', 'コードの購入', 'コード', '決済コード', 'けっさいコード', '決済コードの購入', '買う', '買います', 'かう', 'かいます'],
    'en-US': ['buy', 'buy a code', 'code', 'payment code', 'purchase', 'buy a payment code', 'buy another'],
  },
  approve: {
    'ja-JP': ['承認', 'しょうにん', '支払いの承認', '支払い承認', '承認します'],
    'en-US': ['approve', 'approval', 'approve a payment', 'payment request', 'approve it'],
  },
  renew: {
    'ja-JP': ['更新', 'こうしん', '期間の更新', '延長', 'えんちょう'],
    'en-US': ['renew', 'renewal', 'extend'],
  },
  english: {
    'ja-JP': ['英語', 'えいご', 'イングリッシュ', 'english'],
    'en-US': ['english', 'in english'],
  },
  japanese: {
    'ja-JP': ['日本語', 'にほんご', 'にっぽんご'],
    'en-US': ['japanese', 'nihongo', 'in japanese'],
  },
  menu: {
    'ja-JP': ['メニュー', 'メインメニュー', '最初', 'さいしょ', '戻る', 'もどる'],
    'en-US': ['menu', 'main menu', 'back', 'start over', 'go back'],
  },
  again: {
    'ja-JP': ['もう一度', 'もういちど', 'もう一回', 'もういっかい', '繰り返し', 'くりかえし', 'もう一度聞く'],
    'en-US': ['again', 'repeat', 'say it again', 'one more time', 'hear it again', 'repeat it'],
  },
  merchant: {
    'ja-JP': ['加盟店', 'かめいてん', '特定の加盟店', '加盟店指定', '一つの加盟店'],
    'en-US': ['merchant', 'one merchant', 'a merchant', 'one shop', 'a shop'],
  },
};

/** Around a word, and dropped: hesitations, "I would like to", politeness. Never a word of any intent. */
export const WORD_FILLERS: Record<Locale, string[]> = {
  'ja-JP': [
    'えーと', 'えっと', 'ええと', 'えーっと', 'えー', 'あー', 'あの', 'あのー', 'うーん', 'んー', 'まあ',
    'です', 'ます', 'ください', 'お願いします', 'おねがいします', 'お願い', 'します', 'したい', 'したいです', 'でお願いします',
    'で', 'を', 'は', 'が', 'に', 'の', 'へ', 'ね', 'よ', '私', 'わたし', '、', '。', ',', '.', '!', '?', ' ', 'ー',
  ],
  'en-US': [
    'um', 'umm', 'uh', 'uhh', 'er', 'erm', 'ah', 'hmm', 'mm', 'please', 'i', 'want', 'to', 'would', 'like', 'wanna', 'id', 'd',
    'the', 'a', 'an', 'my', 'its', 'it', 'is', 'that', 'thats', 'lets', 'just', 'well', 'so', 'thanks', 'thank', 'you', 'go', 'with',
  ],
};

const tableFor = (locale: Locale) => {
  const entries: [string, Intent | ''][] = [];
  for (const intent of INTENTS) for (const phrase of INTENT_PHRASES[intent][locale]) entries.push([phrase, intent]);
  for (const filler of WORD_FILLERS[locale]) entries.push([filler, '']);
  return new TokenTable<Intent | ''>(locale, entries);
};
const TABLES: Record<Locale, TokenTable<Intent | ''>> = { 'ja-JP': tableFor('ja-JP'), 'en-US': tableFor('en-US') };

/**
 * The one word (of `allowed`) the caller said, or undefined: nothing recognised, a word this
 * prompt does not offer, or two different words in one utterance.
 */
export function spokenIntent(transcript: string, locale: Locale, allowed: readonly Intent[] = INTENTS): Intent | undefined {
  const units = unitsOf(foldTranscript(transcript), locale);
  if (units.length === 0 || units.length > 100) return undefined;
  // Each reading is the intents said, one letter each (their index), fillers read as nothing.
  const found = readings(units, TABLES[locale], (value) => (value ? String.fromCharCode(65 + INTENTS.indexOf(value)) : ''));
  if (!found) return undefined;
  const said = new Set<Intent>();
  for (const reading of found) for (const letter of reading) said.add(INTENTS[letter.charCodeAt(0) - 65]!);
  if (said.size !== 1) return undefined;
  const [intent] = said;
  return allowed.includes(intent!) ? intent : undefined;
}

/* Amounts said as amounts ("千円", "ごひゃくえん", "one thousand yen", "1,000"): for the amount menu. */

const JA_AMOUNT_TOKENS: [string, string][] = [
  ...[...'0123456789'].map((d) => [d, d] as [string, string]),
  ['〇', '0'], ['一', '1'], ['二', '2'], ['三', '3'], ['四', '4'], ['五', '5'], ['六', '6'], ['七', '7'], ['八', '8'], ['九', '9'],
  ['イチ', '1'], ['イッ', '1'], ['ニ', '2'], ['サン', '3'], ['ヨン', '4'], ['ゴ', '5'], ['ロク', '6'], ['ロッ', '6'], ['ナナ', '7'], ['ハチ', '8'], ['ハッ', '8'], ['キュウ', '9'],
  ['十', 'J'], ['ジュウ', 'J'], ['ジュッ', 'J'], ['百', 'H'], ['ヒャク', 'H'], ['ビャク', 'H'], ['ピャク', 'H'], ['千', 'S'], ['セン', 'S'], ['ゼン', 'S'], ['万', 'M'], ['マン', 'M'],
  ['円', ''], ['エン', ''], [',', ''], ['、', ''], [' ', ''], ['。', ''], ...['えーと', 'えっと', 'あの', 'です', 'で', 'を', 'お願いします', 'ください', 'の', 'コード'].map((f) => [f, ''] as [string, string]),
];
const EN_AMOUNT_TOKENS: [string, string][] = [
  ...[...'0123456789'].map((d) => [d, d] as [string, string]),
  ['zero', '0'], ['one', '1'], ['a hundred', '1H'], ['a thousand', '1S'], ['two', '2'], ['three', '3'], ['four', '4'], ['five', '5'], ['six', '6'], ['seven', '7'], ['eight', '8'], ['nine', '9'],
  ['ten', '>0'], ['eleven', '>1'], ['twelve', '>2'], ['thirteen', '>3'], ['fourteen', '>4'], ['fifteen', '>5'], ['sixteen', '>6'], ['seventeen', '>7'], ['eighteen', '>8'], ['nineteen', '>9'],
  ['twenty', '<2'], ['thirty', '<3'], ['forty', '<4'], ['fifty', '<5'], ['sixty', '<6'], ['seventy', '<7'], ['eighty', '<8'], ['ninety', '<9'],
  ['hundred', 'H'], ['thousand', 'S'],
  ...['yen', 'a', 'and', 'um', 'uh', 'please', 'code', 'for', 'the', 'of', 'worth', 'i', 'want', 'would', 'like', 'buy', 'id', 'd'].map((f) => [f, ''] as [string, string]),
];
const AMOUNT_TABLES: Record<Locale, TokenTable<string>> = { 'ja-JP': new TokenTable('ja-JP', JA_AMOUNT_TOKENS), 'en-US': new TokenTable('en-US', EN_AMOUNT_TOKENS) };

/** A reading's value: digits written out ("1000"), or counted in words ("五百" = 5H, "one thousand" = 1S). */
function amountOf(reading: string): number | undefined {
  if (/^\d+$/.test(reading)) return Number(reading);
  let total = 0;
  let group = 0;
  let digits = '';
  // Within a group the multipliers come largest first (五百二十, not 十百): each must be below the last.
  let lastInGroup = Infinity;
  let lastGroup = Infinity;
  for (let i = 0; i < reading.length; i++) {
    const c = reading[i]!;
    if (c >= '0' && c <= '9') digits += c;
    else if (c === '>') {
      digits += `1${reading[++i]}`;
    } else if (c === '<') {
      digits += reading[++i]!;
      // forty-five: the unit follows; forty alone is 40.
      if (/[1-9]/.test(reading[i + 1] ?? '') && !/[JHSM]/.test(reading[i + 2] ?? '')) digits += reading[++i]!;
      else digits += '0';
    } else if (c === 'J' || c === 'H') {
      const unit = digits === '' ? 1 : Number(digits);
      const multiplier = c === 'J' ? 10 : 100;
      if (digits.length > 1 || multiplier >= lastInGroup) return undefined;
      group += unit * multiplier;
      lastInGroup = multiplier;
      digits = '';
    } else if (c === 'S' || c === 'M') {
      const multiplier = c === 'S' ? 1000 : 10000;
      if (multiplier >= lastGroup) return undefined;
      const value = group + (digits === '' ? (group ? 0 : 1) : Number(digits));
      total += value * multiplier;
      lastGroup = multiplier;
      lastInGroup = Infinity;
      group = 0;
      digits = '';
    } else return undefined;
  }
  const value = total + group + (digits === '' ? 0 : Number(digits));
  return value > 0 ? value : undefined;
}

/** The amount a caller said, in whole units of the currency, or undefined. */
export function spokenAmount(transcript: string, locale: Locale): number | undefined {
  const folded = foldTranscript(transcript).replace(/(\d),(?=\d{3}\b)/g, '$1');
  // An English number written in figures is one word: its digits are read one by one, as in Japanese.
  const units = unitsOf(folded, locale).flatMap((w) => (locale === 'en-US' && /^\d+$/.test(w) ? [...w] : [w]));
  if (units.length === 0 || units.length > 60) return undefined;
  const found = readings(units, AMOUNT_TABLES[locale], (t) => t);
  if (!found) return undefined;
  const values = new Set<number>();
  for (const reading of found) {
    const value = amountOf(reading);
    if (value === undefined) return undefined;
    values.add(value);
  }
  return values.size === 1 ? [...values][0] : undefined;
}
