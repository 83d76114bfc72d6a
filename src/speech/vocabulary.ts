import type { Locale } from '../config.ts';
import type { Intent } from './intents.ts';

/**
 * What callers say, as recognisers write it: the tables the spoken-number and spoken-word readers
 * are driven by (src/speech/spoken-number.ts, spoken-words.ts), and the hints the recogniser is
 * given by default. Kana may be written in either script: every entry is folded as the transcript
 * is (foldTranscript). This is the one catalogue of the caller's words, Japanese and English side
 * by side; what the caller hears stays in voice-flows/.
 */

/** Kanji digits and the kana readings of each (the list; ゼロ/レイ/マル, ヨン/シ, ナナ/シチ, キュウ/ク, long ニー/ゴー). */
export const JA_DIGITS: Record<string, string[]> = {
  '0': ['〇', '零', 'ゼロ', 'レイ', 'マル', 'ゼロー'],
  '1': ['一', '壱', 'イチ'],
  '2': ['二', '弐', 'ニ', 'ニー', 'ニイ'],
  '3': ['三', '参', 'サン'],
  '4': ['四', 'ヨン', 'シ', 'ヨー'],
  '5': ['五', 'ゴ', 'ゴー', 'ゴオ'],
  '6': ['六', 'ロク'],
  '7': ['七', 'ナナ', 'シチ'],
  '8': ['八', 'ハチ'],
  '9': ['九', 'キュウ', 'キュー', 'キュ', 'ク'],
};


/** Between digit groups: "の" (650の4313), hyphens and dashes as written, the long-vowel bar alone, "ハイフン", punctuation, spaces. */
export const JA_SEPARATORS = ['の', 'ノ', '-', '‐', '‑', '–', '—', '−', 'ー', '~', '〜', '、', '。', ',', '.', '・', ' ', '/', 'ハイフン', 'ダッシュ', 'カラ'];


/**
 * What people put around a number (and recognisers keep): hesitations, "my number is", politeness.
 * Only whole fillers are dropped: ください is one, so its ク is never a 9.
 */
export const JA_NUMBER_FILLERS = [
  'えーと', 'えっと', 'ええと', 'えーっと', 'えー', 'ええ', 'あー', 'あの', 'あのー', 'うーん', 'んー', 'ん', 'まあ', 'その',
  'です', 'でした', 'ですね', 'でございます', 'ございます', 'ください', 'お願いします', 'おねがいします', 'お願い', 'します',
  '番号', 'ばんごう', '番号は', 'は', 'が', 'を', 'で', 'id', 'アイディー', 'アイディ', 'アイデー',
  '仮', 'かり', '仮id', '正式', 'せいしき', '正式id', '私の', 'わたしの', '暗証番号', 'コード', '加盟店', '加盟店番号', 'リクエスト', '番', 'ばん',
];


/** English number words; "oh"/"o" for 0 as people read phone numbers; tens and teens as people group digits ("forty-three thirteen"). */
export const EN_DIGITS: Record<string, string[]> = {
  '0': ['zero', 'oh', 'o', 'nought', 'naught', 'null'],
  '1': ['one'],
  '2': ['two'],
  '3': ['three'],
  '4': ['four'],
  '5': ['five'],
  '6': ['six'],
  '7': ['seven'],
  '8': ['eight'],
  '9': ['nine', 'niner'],
};


export const EN_TEENS = ['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];


export const EN_TENS: Record<string, string> = { twenty: '2', thirty: '3', forty: '4', fourty: '4', fifty: '5', sixty: '6', seventy: '7', eighty: '8', ninety: '9' };


export const EN_NUMBER_FILLERS = [
  'um', 'umm', 'uh', 'uhh', 'er', 'erm', 'ah', 'hmm', 'mm', 'so', 'okay', 'ok', 'well', 'and', 'then', 'please',
  'my', 'number', 'is', 'its', 'it', 'the', 'id', 'i', 'd', 'think', 'thats', 'that', 'provisional', 'formal', 'code', 'pin',
  'merchant', 'request', 'payment', 'account', 'dash', 'hyphen', 'space', 'let', 'me', 'see',
];


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


/** Amounts said as amounts: figures, digits, 十百千万 and their readings (J, H, S, M), 円 and fillers dropped. */
export const JA_AMOUNT_TOKENS: [string, string][] = [
  ...[...'0123456789'].map((d) => [d, d] as [string, string]),
  ['〇', '0'], ['一', '1'], ['二', '2'], ['三', '3'], ['四', '4'], ['五', '5'], ['六', '6'], ['七', '7'], ['八', '8'], ['九', '9'],
  ['イチ', '1'], ['イッ', '1'], ['ニ', '2'], ['サン', '3'], ['ヨン', '4'], ['ゴ', '5'], ['ロク', '6'], ['ロッ', '6'], ['ナナ', '7'], ['ハチ', '8'], ['ハッ', '8'], ['キュウ', '9'],
  ['十', 'J'], ['ジュウ', 'J'], ['ジュッ', 'J'], ['百', 'H'], ['ヒャク', 'H'], ['ビャク', 'H'], ['ピャク', 'H'], ['千', 'S'], ['セン', 'S'], ['ゼン', 'S'], ['万', 'M'], ['マン', 'M'],
  ['円', ''], ['エン', ''], [',', ''], ['、', ''], [' ', ''], ['。', ''], ...['えーと', 'えっと', 'あの', 'です', 'で', 'を', 'お願いします', 'ください', 'の', 'コード'].map((f) => [f, ''] as [string, string]),
];


/** The same in English: units, teens (>n), tens (<n), hundred (H), thousand (S). */
export const EN_AMOUNT_TOKENS: [string, string][] = [
  ...[...'0123456789'].map((d) => [d, d] as [string, string]),
  ['zero', '0'], ['one', '1'], ['a hundred', '1H'], ['a thousand', '1S'], ['two', '2'], ['three', '3'], ['four', '4'], ['five', '5'], ['six', '6'], ['seven', '7'], ['eight', '8'], ['nine', '9'],
  ['ten', '>0'], ['eleven', '>1'], ['twelve', '>2'], ['thirteen', '>3'], ['fourteen', '>4'], ['fifteen', '>5'], ['sixteen', '>6'], ['seventeen', '>7'], ['eighteen', '>8'], ['nineteen', '>9'],
  ['twenty', '<2'], ['thirty', '<3'], ['forty', '<4'], ['fifty', '<5'], ['sixty', '<6'], ['seventy', '<7'], ['eighty', '<8'], ['ninety', '<9'],
  ['hundred', 'H'], ['thousand', 'S'],
  ...['yen', 'a', 'and', 'um', 'uh', 'please', 'code', 'for', 'the', 'of', 'worth', 'i', 'want', 'would', 'like', 'buy', 'id', 'd'].map((f) => [f, ''] as [string, string]),
];


/** What callers say besides digits: the menu words and yes / no, as hints for the recogniser (src/speech/spoken-words.ts holds every form heard). */
export const DEFAULT_SPEECH_HINTS: Record<Locale, string> = {
  'ja-JP': 'はい, いいえ, 登録, 購入, 承認, 更新, 日本語, イングリッシュ, メニュー, もう一度, 加盟店, ゼロ, マル',
  'en-US': 'yes, no, activate, buy, approve, renew, English, Japanese, menu, repeat, merchant, oh, double, triple',
};
