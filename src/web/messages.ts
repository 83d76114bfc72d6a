/**
 * Every piece of text on the web pages, Japanese and English side by side: an entry is
 * `{ ja, en }` (a function of its details where it has any), or a group of such entries keyed by
 * an error code. Pages read `MESSAGES[lang]`, built from this; `missingWebTranslations` (run at
 * start and in a unit test) finds an entry left empty in either language.
 */
export const WEB_LANGS = ['ja', 'en'] as const;
export type WebLang = (typeof WEB_LANGS)[number];

const WEB_TEXT = {
  otherLanguage: { ja: 'English', en: '日本語' },
  tagline: { ja: '電話一本で、会員登録とお支払い。', en: 'Sign up and pay with one phone call.' },
  // How each fee is really collected depends on its CHARGE_METHOD_<KIND> (docs/CHARGING.md): say only what is true.
  homeIntro: {
    'premium-rate': {
      ja: 'dialpass は、電話をかけるだけで有料サービスの利用登録や少額のお支払いができるサービスです。登録の料金は通話料金として、電話会社から通話した回線にご請求されるので、カードも口座も必要ありません。',
      en: 'dialpass lets you join a paid service and make small payments just by making a phone call. The activation fee is the price of the call, billed by your phone carrier to the line you call from: no card, no bank account.',
    },
    card: {
      ja: 'dialpass は、電話をかけるだけで有料サービスの利用登録や少額のお支払いができるサービスです。料金は通話の中でカードでお支払いいただきます。カード番号は Twilio の決済環境で処理され、dialpass には届きません。',
      en: 'dialpass lets you join a paid service and make small payments just by making a phone call. You pay the fee by card during the call; the card number is handled by Twilio\'s payment service and never reaches dialpass.',
    },
    'carrier-billing': {
      ja: 'dialpass は、電話をかけるだけで有料サービスの利用登録や少額のお支払いができるサービスです。料金は、おかけの携帯電話のご利用料金と合わせて携帯電話会社から請求されるので、カードも口座も必要ありません。',
      en: 'dialpass lets you join a paid service and make small payments just by making a phone call. The fee goes on the mobile phone bill of the line you call from, through your mobile operator: no card, no bank account.',
    },
    none: {
      ja: 'dialpass は、電話をかけるだけで有料サービスの利用登録や少額のお支払いができるサービスです。これはデモ版です。料金は一切かかりません。',
      en: 'dialpass lets you join a paid service and make small payments just by making a phone call. This is a demo: nothing is charged.',
    },
  },
  // Said only when payment codes or merchants' requests are collected otherwise than the activation fee.
  codesBy: {
    'premium-rate': { ja: '決済コードは、金額ごとの番号への通話料金としてご請求されます。', en: 'Payment codes are billed the same way, as the price of a call to the number for each amount.' },
    card: { ja: '決済コードは、通話の中でカードでお支払いいただきます。', en: 'Payment codes are paid by card during the call.' },
    'carrier-billing': { ja: '決済コードは、携帯電話のご利用料金と合わせて請求されます。', en: 'Payment codes go on the mobile phone bill of the line you call from.' },
    none: { ja: '決済コードの購入はデモです。料金はかかりません。', en: 'Buying payment codes is a demo: nothing is charged for them.' },
  },
  approvalsBy: {
    'premium-rate': { ja: '加盟店の支払いリクエストは、その金額の番号への通話料金としてご請求されます。', en: 'Merchants\' payment requests are billed as the price of a call to the number for that amount.' },
    card: { ja: '加盟店の支払いリクエストは、通話の中でカードでお支払いいただきます。', en: 'Merchants\' payment requests are paid by card during the call.' },
    'carrier-billing': { ja: '加盟店の支払いリクエストは、携帯電話のご利用料金と合わせて請求されます。', en: 'Merchants\' payment requests go on the mobile phone bill of the line you call from.' },
    none: { ja: '加盟店の支払いリクエストの承認はデモです。料金はかかりません。', en: 'Approving merchants\' payment requests is a demo: nothing is charged for them.' },
  },
  // A demo (none) sold on a number whose carrier bills every call its tariff (the development default):
  // the demo is free, the call is not (docs/CHARGING.md, none). {tariff} is tariffPerCall or tariffPerMinute.
  homeIntroDemoOnBilledNumber: {
    ja: (tariff: string) => `dialpass は、電話をかけるだけで有料サービスの利用登録や少額のお支払いができるサービスです。これはデモ版で、登録の料金はかかりません。ただし、番号への通話には、電話会社から通話料金（${tariff}）が請求されます。`,
    en: (tariff: string) => `dialpass lets you join a paid service and make small payments just by making a phone call. This is a demo: registration costs nothing, but a call to the number is billed its tariff (${tariff}) by your phone company.`,
  },
  codesDemoOnBilledNumber: {
    ja: (tariff: string) => `決済コードはデモのため、コードの代金はかかりません。ただし、番号への通話には、電話会社から通話料金（${tariff}）が請求されます。`,
    en: (tariff: string) => `Payment codes are a demo: the codes cost nothing, but a call to the number is billed its tariff (${tariff}) by your phone company.`,
  },
  approvalsDemoOnBilledNumber: {
    ja: (tariff: string) => `加盟店の支払いリクエストの承認はデモのため、お支払いの代金はかかりません。ただし、番号への通話には、電話会社から通話料金（${tariff}）が請求されます。`,
    en: (tariff: string) => `Approving merchants' payment requests is a demo: the payments cost nothing, but a call to the number is billed its tariff (${tariff}) by your phone company.`,
  },
  codesAndApprovalsDemoOnBilledNumber: {
    ja: (tariff: string) => `決済コードの購入と加盟店の支払いリクエストの承認はデモのため、その代金はかかりません。ただし、番号への通話には、電話会社から通話料金（${tariff}）が請求されます。`,
    en: (tariff: string) => `Payment codes and approving merchants' payment requests are a demo: they cost nothing, but a call to the number is billed its tariff (${tariff}) by your phone company.`,
  },
  tariffPerCall: { ja: (amount: string) => `1回の通話につき${amount}`, en: (amount: string) => `${amount} a call` },
  tariffPerMinute: { ja: (amount: string) => `1分ごとに${amount}`, en: (amount: string) => `${amount} a minute` },
  step3Demo: { ja: '電話で正式IDが読み上げられます。', en: 'You hear your formal ID.' },
  howItWorks: { ja: 'ご利用の流れ', en: 'How it works' },
  step1: { ja: 'このサイトで登録すると、仮IDとパスワードが表示されます。', en: 'Register on this site: you get a provisional ID and a password.' },
  step2: { ja: '表示された番号に電話をかけ、仮IDに続けてシャープを押します（メニューが流れたら先に1）。', en: 'Call the number shown and key your provisional ID followed by # (press 1 first if you hear the menu).' },
  step3: { ja: '電話で正式IDが読み上げられます。この通話が料金のお支払いです。', en: 'You hear your formal ID. That call is your payment.' },
  step4: {
    ja: '正式IDとパスワードでログインすると、有料サービスをご利用いただけます。期限が来たら、もう一度電話で更新できます。',
    en: 'Log in with your formal ID and password to use the paid service. When your access runs out, call again to renew.',
  },
  register: { ja: '新規登録', en: 'Register' },
  login: { ja: 'ログイン', en: 'Log in' },
  logout: { ja: 'ログアウト', en: 'Log out' },
  name: { ja: 'お名前', en: 'Name' },
  email: { ja: 'メールアドレス', en: 'E-mail' },
  voiceLanguage: { ja: '電話の案内の言語', en: 'Language on the phone' },
  voiceLanguageInvalid: { ja: '電話の案内の言語を、日本語か英語から選んでください。', en: 'Choose Japanese or English for the phone.' },
  japanese: { ja: '日本語', en: 'Japanese' },
  english: { ja: '英語', en: 'English' },
  registerTitle: { ja: '新規登録', en: 'Register' },
  registerIntro: {
    ja: 'お名前とメールアドレスを入力してください。仮IDとパスワードをこの画面でお知らせします。',
    en: 'Enter your name and e-mail. Your provisional ID and password are shown on the next page.',
  },
  registerButton: { ja: '登録して仮IDを受け取る', en: 'Register and get my provisional ID' },
  registeredTitle: { ja: '仮登録が完了しました', en: 'You are almost there' },
  registeredIntro: { ja: '次の内容を控えてから、電話で本登録をしてください。', en: 'Write these down, then finish by phone.' },
  provisionalId: { ja: '仮ID', en: 'Provisional ID' },
  password: { ja: 'パスワード', en: 'Password' },
  passwordOnce: { ja: 'パスワードはこの画面にだけ、一度だけ表示されます。必ず控えてください。', en: 'Your password is shown only here, only once. Write it down now.' },
  numberToCall: { ja: 'おかけいただく番号', en: 'Number to call' },
  validUntil: { ja: '仮IDの有効期限', en: 'Provisional ID valid until' },
  validFor: { ja: (hours: number) => `（登録から${hours}時間）`, en: (hours: number) => `(${hours} hours from registration)` },
  whatToKey: { ja: '電話での操作', en: 'On the phone' },
  keySteps: {
    ja: (id: string) => `つながったら、仮ID「${id}」に続けて # を押してください（メニューが流れたときは、先に 1 を押します）。登録時に選んだ言語で、正式IDが2回読み上げられます（1 を押すともう一度聞けます）。`,
    en: (id: string) => `When the call connects, key your provisional ID ${id} and then #, even while the greeting is in Japanese (if you hear the menu instead, press 1 first). You will hear your formal ID twice, in English (press 1 to hear it again).`,
  },
  chargeNote: {
    ja: (amount: string, days: number) => `本登録の料金は ${amount} で、${days}日間ご利用いただけます。料金は通話の中でもお知らせします。`,
    en: (amount: string, days: number) => `Registration costs ${amount} and gives you ${days} days of access; the call tells you the fee too.`,
  },
  formalIdByVoice: { ja: '正式IDは安全のため電話でのみお知らせします。', en: 'For your security, the formal ID is only ever given by phone.' },
  loginTitle: { ja: 'ログイン', en: 'Log in' },
  loginIntro: {
    ja: '電話で聞いた正式IDと、登録時に表示されたパスワードを入力してください。',
    en: 'Enter the formal ID you heard on the phone and the password shown when you registered.',
  },
  formalId: { ja: '正式ID', en: 'Formal ID' },
  loginButton: { ja: 'ログイン', en: 'Log in' },
  serviceTitle: { ja: '会員ページ', en: 'Member page' },
  welcomeMember: { ja: (name: string) => `${name} さん、ようこそ。`, en: (name: string) => `Welcome, ${name}.` },
  accessActive: { ja: (date: string) => `ご利用期限：${date}`, en: (date: string) => `Access valid until ${date}.` },
  accessExpired: { ja: (date: string) => `ご利用期限（${date}）を過ぎています。`, en: (date: string) => `Your access expired on ${date}.` },
  renewHow: {
    ja: (number: string) => `更新するには ${number} に電話をかけ、4 を押して正式IDと電話用暗証番号を入力してください。`,
    en: (number: string) => `To renew, call ${number}, press 4 and key your formal ID and phone PIN.`,
  },
  paidContent: { ja: '会員限定コンテンツ', en: 'Members only' },
  paidContentBody: {
    ja: 'ご利用期間中は、ここに有料コンテンツが表示されます。今月の特集：電話ひとつで始める、新しい支払いのかたち。',
    en: 'While your access is valid, the paid content appears here. This month: paying by phone, the new old way.',
  },
  pinTitle: { ja: '電話用の暗証番号', en: 'Phone PIN' },
  pinIntro: { ja: '電話で更新や決済コードの購入をするときに入力する 4〜8 桁の数字です。', en: 'The 4 to 8 digits you key on the phone to renew or to buy payment codes.' },
  pinSet: { ja: '暗証番号は設定済みです。新しい番号に変更できます。', en: 'Your PIN is set. You can change it here.' },
  pinNotSet: { ja: 'まだ設定されていません。', en: 'Not set yet.' },
  pinLocked: {
    ja: '暗証番号の誤りが続いたため、電話でのお手続きを停止しています。新しい暗証番号を設定すると解除されます。',
    en: 'Phone purchases are locked after too many wrong PINs. Set a new PIN to unlock them.',
  },
  pinLabel: { ja: '新しい暗証番号（4〜8桁）', en: 'New PIN (4 to 8 digits)' },
  pinButton: { ja: '暗証番号を設定', en: 'Set PIN' },
  pinSaved: { ja: '暗証番号を設定しました。', en: 'Your PIN has been set.' },
  notFoundTitle: { ja: 'ページが見つかりません', en: 'Page not found' },
  errorTitle: { ja: 'エラー', en: 'Error' },
  backHome: { ja: 'トップへ戻る', en: 'Back to the home page' },
  maskedFormalId: { ja: (tail: string) => `正式ID：末尾 ${tail}`, en: (tail: string) => `Formal ID ending in ${tail}` },
  formErrors: {
    invalid_input: {
      ja: '入力内容をご確認ください。お名前（100文字まで）と、正しい形式のメールアドレスが必要です。',
      en: 'Please check the form: a name (up to 100 characters) and a valid e-mail address are needed.',
    },
    invalid_credentials: {
      ja: '正式IDまたはパスワードが違います。',
      en: 'The formal ID or the password is not correct.',
    },
    locked_out: {
      ja: 'ログインの失敗が続いたため、しばらくログインできません。15分ほどしてからお試しください。',
      en: 'Too many failed logins. Please wait about 15 minutes and try again.',
    },
    invalid_pin: {
      ja: '暗証番号は4〜8桁の数字で入力してください。',
      en: 'The PIN must be 4 to 8 digits.',
    },
    too_many_registrations: {
      ja: 'この接続元からの登録が多すぎます。しばらくしてからお試しください。',
      en: 'Too many registrations from your connection. Please try again later.',
    },
    busy: {
      ja: 'ただいま混み合っています。少し待ってからもう一度お試しください。',
      en: 'We are busy right now. Please wait a moment and try again.',
    },
  },
  loginErrors: {
    mistyped_formal_id: {
      ja: '正式IDの数字に誤りがあるようです。電話で聞いた9桁をご確認ください。',
      en: 'That formal ID has a digit wrong or two swapped: check the 9 digits you heard on the phone.',
    },
    invalid_input: {
      ja: '電話で聞いた正式ID（9桁の数字）とパスワードを入力してください。',
      en: 'Please enter the formal ID you heard on the phone (9 digits) and your password.',
    },
    invalid_credentials: {
      ja: '正式IDまたはパスワードが違います。',
      en: 'The formal ID or the password is not correct.',
    },
    locked_out: {
      ja: 'ログインの失敗が続いたため、しばらくログインできません。15分ほどしてからお試しください。',
      en: 'Too many failed logins. Please wait about 15 minutes and try again.',
    },
    too_many_requests: {
      ja: 'ただいま混み合っています。少し待ってからお試しください。',
      en: 'We are busy right now. Please try again in a moment.',
    },
  },
  errorSummaryTitle: { ja: '入力内容に問題があります', en: 'There is a problem' },
  errorPrefix: { ja: 'エラー：', en: 'Error:' },
  skipToContent: { ja: '本文へ移動', en: 'Skip to main content' },
  siteNav: { ja: 'サイト内の移動', en: 'Site' },
  confirmTitle: { ja: '確認', en: 'Please confirm' },
  confirmCancel: { ja: 'やめる', en: 'Cancel' },
  fieldRequired: { ja: (label: string) => `${label}を入力してください。`, en: (label: string) => `Enter your ${label.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())}.` },
  emailInvalid: { ja: 'メールアドレスを正しい形式で入力してください（例：name@example.com）。', en: 'Enter an e-mail address in the right form, like name@example.com.' },
  nameTooLong: { ja: 'お名前は100文字以内で入力してください。', en: 'Your name must be 100 characters or fewer.' },
  formalIdInvalid: { ja: '正式IDは電話で聞いた9桁の数字で入力してください。', en: 'Enter the formal ID as the 9 digits you heard on the phone.' },
  badAddress: { ja: 'URLが正しくありません。', en: 'That address is not valid.' },
  checkWhatYouSent: { ja: '送信内容を確認してください。', en: 'Please check what you sent.' },
  somethingWentWrong: {
    ja: '申し訳ありません。問題が発生しました。しばらくしてからお試しください。',
    en: 'Sorry, something went wrong. Please try again shortly.',
  },
  // Under a ledger whose oldest entries `npm run archive` moved out of Redis: the member history, the operator's ledger page.
  chargesArchived: {
    ja: (n: number) => `これより前の ${n} 件のご請求はアーカイブに移しました（お問い合わせいただければお知らせします）。`,
    en: (n: number) => `${n} earlier charges have been moved to our archive; ask us and we will send them.`,
  },
  ledgerArchived: {
    ja: (n: number) => `これより古い ${n} 件は Redis から書き出され、アーカイブ（npm run archive の CSV）にあります。`,
    en: (n: number) => `${n} older entries were exported to the archive (npm run archive's CSV files) and are no longer in Redis.`,
  },
};

type Entry = { ja: unknown; en: unknown };
type Group = Record<string, { ja: string; en: string }>;
/** One language's text, as the pages use it (ja and en have the same shape: one type). */
export type Messages = { [K in keyof typeof WEB_TEXT]: (typeof WEB_TEXT)[K] extends Entry ? (typeof WEB_TEXT)[K]['ja'] : Record<string, string> };

const isEntry = (value: object): value is Entry => 'ja' in value && 'en' in value;

function inLanguage(lang: WebLang): Messages {
  const pick = (value: object): unknown =>
    isEntry(value) ? value[lang] : Object.fromEntries(Object.entries(value as Group).map(([code, entry]) => [code, entry[lang]]));
  return Object.fromEntries(Object.entries(WEB_TEXT).map(([key, value]) => [key, pick(value)])) as Messages;
}

export const MESSAGES: Record<WebLang, Messages> = { ja: inLanguage('ja'), en: inLanguage('en') };

/** Entries whose text is empty in a language, or whose two functions take different details. */
export function missingWebTranslations(): string[] {
  const sample = (text: unknown, arity: number) => (typeof text === 'function' ? String(text(...Array(arity).fill('1'))) : String(text ?? ''));
  const check = (name: string, entry: Entry): string[] => {
    const arity = typeof entry.ja === 'function' ? entry.ja.length : 0;
    const wrong = WEB_LANGS.filter((lang) => !sample(entry[lang], arity).trim()).map((lang) => `${name}.${lang}`);
    if ((typeof entry.en === 'function' ? entry.en.length : 0) !== arity) wrong.push(`${name}: ja and en take different details`);
    return wrong;
  };
  return Object.entries(WEB_TEXT).flatMap(([key, value]) =>
    isEntry(value) ? check(key, value) : Object.entries(value as Group).flatMap(([code, entry]) => check(`${key}.${code}`, entry)),
  );
}
