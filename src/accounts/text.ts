import { catalogue } from '../web/catalogue.ts';

/** member page: card: Japanese and English side by side (src/web/catalogue.ts checks both at start). */
export const CARD_TEXT = catalogue('member page: card', {
  ja: {
    title: 'お支払いカード',
    card: (type: string, last4: string) => `${type} 末尾 ${last4}`,
    lastUsed: (when: string) => `最後のお支払い：${when}`,
    token: 'このカードは次回のお支払いのために保存されています。',
    noToken: '保存されているのは下4桁とカードの種類だけです。お電話でのお支払いでは毎回カード番号をお伺いします。',
    forget: 'このカードを削除',
    forgotten: 'カード情報を削除しました。',
    forgetConfirmTitle: 'カードを削除しますか',
    forgetConfirm: '保存されているカード情報を削除します。次回のお支払いでは、もう一度カード番号をお伺いします。',
  },
  en: {
    title: 'Payment card',
    card: (type: string, last4: string) => `${type} ending ${last4}`,
    lastUsed: (when: string) => `Last paid: ${when}`,
    token: 'This card is kept for your next payment.',
    noToken: 'Only the last four digits and the card type are kept; each payment by phone asks for the card number.',
    forget: 'Forget this card',
    forgotten: 'The card has been forgotten.',
    forgetConfirmTitle: 'Forget this card?',
    forgetConfirm: 'The card kept for your payments will be forgotten. Your next payment by phone asks for the card number again.',
  },
});

/** member page: history: Japanese and English side by side (src/web/catalogue.ts checks both at start). */
export const HISTORY_TEXT = catalogue('member page: history', {
  ja: {
    capTitle: '今月のご利用上限',
    capLine: (left: string, cap: string, spent: string) => `残り ${left}（上限 ${cap}、今月のご利用 ${spent}）`,
    capNote: '決済コードの購入と支払いリクエストの承認が上限の対象です。',
    chargesTitle: 'ご請求の履歴',
    noCharges: 'まだご請求はありません。',
    date: '日時',
    what: '内容',
    amount: '金額',
    line: '発信番号',
    kinds: { activation: '本登録（利用開始）', renewal: '利用期間の更新', code_purchase: '決済コードの購入', payment_approval: '支払いリクエストの承認' },
    codeEnding: (last4: string) => `末尾 ${last4}`,
    withCode: (kind: string, last4: string) => `${kind}（末尾 ${last4}）`,
    listSeparator: '・',
    codesTitle: '決済コード',
    noCodes: '決済コードはまだありません。',
    code: 'コード',
    merchant: '加盟店',
    anyMerchant: 'どの加盟店でも',
    left: '残高',
    expires: '有効期限',
    status: '状態',
    codeStatus: { active: '利用可', spent: '使用済み', expired: '期限切れ' },
    requestsTitle: '支払いリクエスト',
    noRequests: '承認・お断りした支払いリクエストはまだありません。',
    requestStatus: { approved: '承認', declined: 'お断り' },
    refundsTitle: '返金',
    refundHow: { stripe: 'カード', 'carrier-billing': '携帯電話料金' },
    refundLine: (what: string, amount: string, how: string, refunded: boolean) =>
      `${what}の${amount}（${how}）: 通話が終わる前にお手続きを完了できなかったため、${refunded ? '全額を返金しました' : '全額を返金いたします（手続き中）'}。`,
    older: '古い履歴を見る',
    newest: '最新に戻る',
  },
  en: {
    capTitle: 'Monthly limit',
    capLine: (left: string, cap: string, spent: string) => `${left} left (limit ${cap}, used this month ${spent})`,
    capNote: 'Payment codes you buy and payment requests you approve count towards the limit.',
    chargesTitle: 'Charges',
    noCharges: 'No charges yet.',
    date: 'Date',
    what: 'What for',
    amount: 'Amount',
    line: 'Called from',
    kinds: { activation: 'Activation', renewal: 'Access renewal', code_purchase: 'Payment code', payment_approval: 'Payment request approved' },
    codeEnding: (last4: string) => `ending ${last4}`,
    withCode: (kind: string, last4: string) => `${kind} (ending ${last4})`,
    listSeparator: ' · ',
    codesTitle: 'Payment codes',
    noCodes: 'No payment codes yet.',
    code: 'Code',
    merchant: 'Merchant',
    anyMerchant: 'Any merchant',
    left: 'Left',
    expires: 'Expires',
    status: 'Status',
    codeStatus: { active: 'Usable', spent: 'Spent', expired: 'Expired' },
    requestsTitle: 'Payment requests',
    noRequests: 'No payment requests approved or declined yet.',
    requestStatus: { approved: 'Approved', declined: 'Declined' },
    refundsTitle: 'Refunds',
    refundHow: { stripe: 'card', 'carrier-billing': 'phone bill' },
    refundLine: (what: string, amount: string, how: string, refunded: boolean) =>
      `${what}, ${amount} (${how}): the call ended before it could be completed, so ${refunded ? 'it was refunded in full' : 'it is being refunded in full'}.`,
    older: 'Older',
    newest: 'Back to the newest',
  },
});

/** The password reset e-mail, in the member's registered language. */
export const RESET_MAIL_TEXT = catalogue('password reset e-mail', {
  ja: {
    subject: 'dialpass: パスワードの再設定',
    body: (name: string, link: string, minutes: number) =>
      `${name} 様\n\ndialpass のパスワードの再設定を受け付けました。次のリンクを開き、「新しいパスワードを発行」を押してください。\n\n${link}\n\nこのリンクは${minutes}分間、一度だけ使えます。新しいパスワードを発行すると、ログイン中のすべての画面からログアウトされます。\n\nお心当たりがない場合は、このメールを破棄してください。パスワードは変わりません。\n\ndialpass`,
  },
  en: {
    subject: 'dialpass: reset your password',
    body: (name: string, link: string, minutes: number) =>
      `Dear ${name},\n\nWe received a request to reset your dialpass password. Open this link and press "Issue a new password":\n\n${link}\n\nThe link works once, for ${minutes} minutes. Issuing a new password signs you out everywhere you are signed in.\n\nIf you did not ask for this, ignore this e-mail: your password stays as it is.\n\ndialpass`,
  },
});

/** The "forgot your password" pages. */
export const RESET_TEXT = catalogue('password reset pages', {
  ja: {
    forgotLink: 'パスワードをお忘れの方',
    forgotTitle: 'パスワードの再設定',
    forgotIntro: (minutes: number) =>
      `正式IDと、登録したメールアドレスを入力してください。両方が登録内容と一致すると、パスワードを再設定するリンクをメールでお送りします（${minutes}分間有効、1回限り）。`,
    formalIdHint: '電話で聞いた9桁の数字です。',
    sendButton: 'リンクをメールで送る',
    sentTitle: 'メールをご確認ください',
    sent: (minutes: number) =>
      `正式IDとメールアドレスが登録内容と一致していれば、パスワード再設定のリンクをお送りしました。リンクは${minutes}分間、1回だけ使えます。メールが届かないときは、迷惑メールのフォルダもご確認ください。`,
    unavailable: 'ただいまメールをお送りできません。しばらくしてからお試しください。',
    unavailableHere: 'このサービスではメールでのパスワード再設定を行っていません。運営者にお問い合わせください。',
    limited: (minutes: number) => `お手続きが多すぎます。約${minutes}分後にお試しください。`,
    resetTitle: '新しいパスワードの発行',
    resetIntro: '新しいパスワードを発行します。発行すると、今のパスワードは使えなくなり、ログイン中のすべての画面からログアウトされます。',
    resetButton: '新しいパスワードを発行',
    doneTitle: '新しいパスワードを発行しました',
    doneIntro: 'このパスワードはこの画面にだけ、一度だけ表示されます。必ず控えてから、ログインしてください。',
    newPassword: '新しいパスワード',
    badLinkTitle: 'このリンクは使えません',
    unknownLink: 'このリンクは使用済みか、より新しいリンクに置き換えられたか、正しくありません。',
    expiredLink: 'このリンクの有効期限が切れています。',
    askAgain: 'もう一度リンクを送る',
  },
  en: {
    forgotLink: 'Forgot your password?',
    forgotTitle: 'Reset your password',
    forgotIntro: (minutes: number) =>
      `Enter your formal ID and the e-mail address you registered with. If both match, we e-mail you a link to reset your password (it works once, for ${minutes} minutes).`,
    formalIdHint: 'The 9 digits you heard on the phone.',
    sendButton: 'E-mail me a link',
    sentTitle: 'Check your e-mail',
    sent: (minutes: number) =>
      `If the formal ID and the e-mail address match what you registered, we have sent you a link to reset your password. It works once, for ${minutes} minutes. If nothing arrives, look in your spam folder too.`,
    unavailable: 'We cannot send e-mail right now. Please try again later.',
    unavailableHere: 'This service does not reset passwords by e-mail. Please contact the operator.',
    limited: (minutes: number) => `Too many requests. Please try again in about ${minutes} minutes.`,
    resetTitle: 'Issue a new password',
    resetIntro: 'This issues a new password. Your current password stops working and you are signed out everywhere you are signed in.',
    resetButton: 'Issue a new password',
    doneTitle: 'Your new password',
    doneIntro: 'This password is shown only here, only once. Write it down, then log in.',
    newPassword: 'New password',
    badLinkTitle: 'This link does not work',
    unknownLink: 'This link has been used, replaced by a newer one, or is not right.',
    expiredLink: 'This link has expired.',
    askAgain: 'Send me a new link',
  },
});
