import type { Locale } from '../../src/config.ts';

/**
 * Transcripts as recognisers write spoken numbers, and what each must give. Keep growing it: a
 * transcript met on a real call (with the number the caller meant) goes here.
 *
 * - `digits`: the number the caller said. The normaliser must give exactly these digits, or
 *   "not understood" (it asks again); never other digits. At least 95 % must be understood.
 * - `digits: null`: not a number (or not only one). It must never be taken for one.
 */
export interface Transcript {
  locale: Locale;
  said: string;
  digits: string | null;
  /** Where the form comes from, for the report of the ones not understood. */
  form: string;
}

const ja = (said: string, digits: string | null, form: string): Transcript => ({ locale: 'ja-JP', said, digits, form });
const en = (said: string, digits: string | null, form: string): Transcript => ({ locale: 'en-US', said, digits, form });

/** Written by hand: the forms of the issue, and what people and recognisers really do. */
const BY_HAND: Transcript[] = [
  // Japanese: digits as recognisers write them.
  ja('85043139957', '85043139957', 'ascii'),
  ja('850 4313 9957', '85043139957', 'ascii groups'),
  ja('850-4313-9957', '85043139957', 'ascii hyphens'),
  ja('８５０４３１３９９５７', '85043139957', 'full-width'),
  ja('８５０－４３１３－９９５７', '85043139957', 'full-width hyphens'),
  ja('850の4313の9957', '85043139957', 'の between groups'),
  ja('八五〇四三一三九九五七', '85043139957', 'kanji'),
  ja('八五〇、四三一三、九九五七', '85043139957', 'kanji with commas'),
  ja('はちごーまる よんさんいちさん きゅうきゅうごーなな', '85043139957', 'hiragana'),
  ja('ハチゴーゼロ、ヨンサンイチサン、キューキューゴーナナ', '85043139957', 'katakana'),
  ja('はちごーれい、よんさんいちさん、きゅうきゅうごなな', '85043139957', 'レイ for 0'),
  ja('はちごまるのよんさんいちさんのくくごしち', '85043139957', 'マル, ク, シチ'),
  ja('ろくごーにー', '652', 'issue example'),
  ja('ろくごにい', '652', 'ニイ'),
  ja('えーと、850の4313の9957です', '85043139957', 'filler and です'),
  ja('えっと、はちごーぜろ、よんさんいちさん、きゅうきゅうごーなな、です', '85043139957', 'filler'),
  ja('番号は850 4313 9957です', '85043139957', '番号は'),
  ja('仮IDは85043139957です', '85043139957', '仮IDは'),
  ja('85043139957でお願いします', '85043139957', 'で + お願いします'),
  ja('85043139957お願いします', '85043139957', 'お願いします'),
  ja('85043139957をお願いします', '85043139957', 'を'),
  ja('ろくごーにーください', '652', 'ください (its ク is no 9)'),
  ja('しちよんし', '744', 'シチ and シ'),
  ja('ななよんよん', '744', 'ナナ and ヨン'),
  ja('きゅうきゅうきゅう', '999', 'キュウ'),
  ja('くくく', '999', 'ク'),
  ja('ぜろぜろいち', '001', 'ゼロ'),
  ja('まるまるいち', '001', 'マル'),
  ja('れいれいいち', '001', 'レイ'),
  ja('8504313 9957', '85043139957', 'two groups'),
  ja('850 四三一三 9957', '85043139957', 'mixed digits and kanji'),
  ja('はち ご ぜろ よん さん いち さん きゅう きゅう ご なな', '85043139957', 'one by one'),
  ja('あのー、はちごーぜろ', '850', 'あのー'),
  ja('いち', '1', 'one key'),
  ja('１', '1', 'one key full-width'),
  ja('一', '1', 'one key kanji'),
  ja('に', '2', 'two'),
  ja('にー', '2', 'two long'),
  ja('きゅう', '9', 'nine'),
  ja('ハチゴーゼロ・ヨンサンイチサン', '8504313', '中黒'),
  ja('850ハイフン4313', '8504313', 'ハイフン said'),
  ja('１２３４', '1234', 'pin full-width'),
  ja('いちにーさんよん', '1234', 'pin kana'),
  ja('1234567', '1234567', 'merchant ascii'),
  ja('いちにさんしごろくなな', '1234567', 'counting'),
  ja('0423 4567', '04234567', 'leading zero'),
  ja('ぜろよんにーさん', '0423', 'ゼロ leading'),
  ja('850-4313-9957番です', '85043139957', '番'),
  ja('８５０ー４３１３ー９９５７', '85043139957', 'long-vowel bar as a dash'),
  ja('ハチゴーゼロ ヨンサンイチサン キュウキュウゴナナ', '85043139957', 'katakana groups'),
  ja('いちにいさんしい', '1234', 'しい drawn out: not in the tables (asked again)'),
  ja('はちごーぜろ、よんさん、いちさん', '8504313', 'groups of two'),
  // Japanese: not a number, or more than one thing.
  ja('ください', null, 'only ください'),
  ja('わかりません', null, 'not a number'),
  ja('もしもし', null, 'hello'),
  ja('はい', null, 'yes is no number'),
  ja('ろくごーにーさかな', null, 'number then a word'),
  ja('ろくごーにー、いや、ろくごーさん', null, 'a correction: two numbers'),
  ja('六百五十二', null, 'positional number: not digit by digit'),
  ja('にじゅう', null, 'twenty'),
  ja('ロックご兄', null, 'misheard words'),
  ja('くだく', null, 'ク + だく'),
  ja('', null, 'empty'),
  ja('、。', null, 'punctuation only'),
  ja('えーと', null, 'filler only'),
  ja('登録', null, 'a menu word'),
  ja('ABC123', null, 'letters'),
  ja('ななななな', null, 'ナナ ナナ ナ: cannot be cut into readings'),
  // English.
  en('850 4313 9957', '85043139957', 'digits'),
  en('850-4313-9957', '85043139957', 'hyphens'),
  en('85043139957', '85043139957', 'one run'),
  en('eight five zero four three one three nine nine five seven', '85043139957', 'words'),
  en('eight five oh, four three one three, nine nine five seven', '85043139957', 'oh and commas'),
  en('Eight five oh. Four three one three. Nine nine five seven.', '85043139957', 'sentences'),
  en('eight five o four three one three double nine five seven', '85043139957', 'o and double'),
  en('eight-five-oh four-three-one-three nine-nine-five-seven', '85043139957', 'hyphenated words'),
  en('six five two', '652', 'issue example'),
  en('double five', '55', 'double'),
  en('triple seven', '777', 'triple'),
  en('one double oh one', '1001', 'double oh'),
  en('my number is 850 4313 9957', '85043139957', 'my number is'),
  en("um, it's eight five oh, four three one three, nine nine five seven", '85043139957', 'um, it\'s'),
  en('uh 850 uh 4313 uh 9957', '85043139957', 'uh between groups'),
  en('My provisional ID is 850 4313 9957.', '85043139957', 'my provisional ID is'),
  en('850 forty three thirteen ninety nine fifty seven', '85043139957', 'tens and teens'),
  en('eight fifty, forty-three thirteen, ninety-nine fifty-seven', '85043139957', 'pairs'),
  en('eight hundred fifty, four three one three, nine nine five seven', '85043139957', 'hundred, then a pause'),
  en('eight hundred fifty four', '854', 'hundred fifty four'),
  en('eight hundred and fifty', '850', 'hundred and'),
  en('one', '1', 'one key'),
  en('1', '1', 'one key digit'),
  en('nine', '9', 'nine'),
  en('zero', '0', 'zero'),
  en('oh', '0', 'oh'),
  en('1 2 3 4', '1234', 'pin spaced'),
  en('one two three four', '1234', 'pin words'),
  en('twelve thirty four', '1234', 'pin pairs'),
  en('123-4567', '1234567', 'merchant'),
  en('one two three four five six seven', '1234567', 'merchant words'),
  en('zero four two three', '0423', 'leading zero'),
  en('oh four two three', '0423', 'leading oh'),
  en('please, 8 5 0 4 3 1 3 9 9 5 7', '85043139957', 'please'),
  en('okay so eight five zero', '850', 'okay so'),
  en('eight five zero four three one three niner niner five seven', '85043139957', 'niner'),
  en("eight five zero four three one three nine nine five seven that's it", '85043139957', "that's it"),
  en('the number is eight five zero', '850', 'the number is'),
  en('eighty five oh four three one three', '8504313', 'eighty five'),
  en('eight five zero for three one three', '8504313', 'for as four: a homophone, asked again'),
  en('ate five zero', '850', 'ate as eight: a homophone, asked again'),
  // English: not a number.
  en('hello', null, 'hello'),
  en("I don't know", null, 'not a number'),
  en('yes', null, 'yes is no number'),
  en('six five two and some words', null, 'number then words'),
  en('six five two no wait six five three', null, 'a correction'),
  en('double', null, 'double alone'),
  en('double double five', null, 'double double'),
  en('five point two', null, 'a decimal point'),
  en('hundred', null, 'hundred alone'),
  en('six five too', null, 'a homophone is not guessed'),
  en('for two', null, 'a homophone is not guessed'),
  en('', null, 'empty'),
  en('activate', null, 'a menu word'),
  en('ABC 123', null, 'letters'),
];

/** The digit readings a recogniser may write, chosen by a fixed seed so the set is the same on every run. */
const JA_READ: Record<string, string[]> = {
  '0': ['ぜろ', 'れい', 'まる', 'ゼロ', '〇', '0'],
  '1': ['いち', 'イチ', '一', '1'],
  '2': ['に', 'にー', 'ニー', '二', '2'],
  '3': ['さん', 'サン', '三', '3'],
  '4': ['よん', 'し', 'ヨン', '四', '4'],
  '5': ['ご', 'ごー', 'ゴー', '五', '5'],
  '6': ['ろく', 'ロク', '六', '6'],
  '7': ['なな', 'しち', 'ナナ', '七', '7'],
  '8': ['はち', 'ハチ', '八', '8'],
  '9': ['きゅう', 'く', 'キュー', '九', '9'],
};
const EN_READ: Record<string, string[]> = {
  '0': ['zero', 'oh', 'o', '0'],
  '1': ['one', '1'],
  '2': ['two', '2'],
  '3': ['three', '3'],
  '4': ['four', '4'],
  '5': ['five', '5'],
  '6': ['six', '6'],
  '7': ['seven', '7'],
  '8': ['eight', '8'],
  '9': ['nine', '9'],
};
const JA_AROUND = [['', ''], ['えーと、', ''], ['', 'です'], ['番号は', 'です'], ['あの、', 'でございます'], ['', 'ください']] as const;
const JA_BETWEEN = ['', 'の', '、', ' ', '-'];
const EN_AROUND = [['', ''], ['um ', ''], ['my number is ', ''], ["it's ", ' please'], ['uh, ', '.']] as const;
const EN_BETWEEN = [' ', ', ', '. ', ' - ', ' uh '];

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

/** Numbers of the lengths the calls ask for (provisional 11, formal 9, merchant 8, PIN 4), said in mixed readings. */
function generated(count: number): Transcript[] {
  const random = seeded(27);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const out: Transcript[] = [];
  for (let n = 0; n < count; n++) {
    const length = pick([11, 9, 8, 4]);
    const digits = Array.from({ length }, () => String(Math.floor(random() * 10))).join('');
    const groups = length === 11 ? [3, 4, 4] : length === 9 ? [3, 3, 3] : length === 8 ? [4, 4] : [4];
    const cut: string[] = [];
    for (let i = 0, g = 0; i < length; i += groups[g++]!) cut.push(digits.slice(i, i + groups[g]!));
    if (n % 2 === 0) {
      const between = pick(JA_BETWEEN);
      // Kana for kana and figures for figures: a recogniser does not mix "ごー" into the middle of "850".
      const style = pick(['kana', 'kanji', 'mixed'] as const);
      const read = (d: string) => {
        const all = JA_READ[d]!;
        if (style === 'kanji') return all.at(-2)!;
        if (style === 'kana') return pick(all.slice(0, -2));
        return pick(all);
      };
      const [before, after] = pick(JA_AROUND);
      const said = before + cut.map((group) => [...group].map(read).join(style === 'kana' ? pick(['', ' ']) : '')).join(between) + after;
      out.push(ja(said, digits, `generated ${style}`));
    } else {
      const between = pick(EN_BETWEEN);
      const [before, after] = pick(EN_AROUND);
      const words = cut.map((group) => {
        const spoken: string[] = [];
        for (let i = 0; i < group.length; i++) {
          if (group[i] === group[i + 1] && random() < 0.5) {
            spoken.push(`double ${pick(EN_READ[group[i]!]!.slice(0, -1))}`);
            i++;
          } else spoken.push(pick(EN_READ[group[i]!]!));
        }
        return spoken.join(' ');
      });
      out.push(en(before + words.join(between) + after, digits, 'generated words'));
    }
  }
  return out;
}

export const TRANSCRIPTS: Transcript[] = [...BY_HAND, ...generated(160)];
