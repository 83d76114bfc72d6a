/**
 * Every message the JSON API answers with, English and Japanese side by side. The JSON API answers
 * in English (docs/CONTRACT.md); the web pages show the same errors in the visitor's language.
 * A message with details is a function of them. `missingApiTranslations` (run at start and in a
 * unit test) finds an entry whose text is empty in either language.
 */
export interface ApiText {
  en: string;
  ja: string;
}

const seconds = (n: number) => Math.max(1, n);

export const API_TEXT = {
  // Any endpoint
  invalidInput: (fields: string) => ({ en: `Please check: ${fields}.`, ja: `入力内容を確認してください: ${fields}。` }),
  malformedJson: { en: 'The request body is not valid JSON.', ja: 'リクエストの本文が正しい JSON ではありません。' },
  notAnObject: { en: 'The request body must be a JSON object.', ja: 'リクエストの本文は JSON のオブジェクトにしてください。' },
  payloadTooLarge: { en: 'The request body is too large.', ja: 'リクエストの本文が大きすぎます。' },
  unsupportedEncoding: { en: 'Send the body as UTF-8.', ja: '本文は UTF-8 で送ってください。' },
  requestAborted: { en: 'The request was aborted.', ja: 'リクエストが中断されました。' },
  unsupportedMediaType: { en: 'Send the body as application/json.', ja: '本文は application/json で送ってください。' },
  badRequest: { en: 'The request could not be understood.', ja: 'リクエストを解釈できませんでした。' },
  malformedPath: { en: 'The request path has a broken %-encoding.', ja: 'リクエストのパスの %エンコードが壊れています。' },
  notFound: { en: 'There is no such endpoint.', ja: 'そのエンドポイントはありません。' },
  methodNotAllowed: (method: string, allow: string) => ({ en: `This endpoint does not take ${method}; it takes ${allow}.`, ja: `このエンドポイントは${method}を受け付けません（${allow}のみ）。` }),
  crossSiteRequest: { en: 'Requests from another site are not accepted.', ja: '別のサイトからのリクエストは受け付けません。' },
  unavailable: {
    en: 'The service is briefly unavailable. Please retry in a moment (with the same Idempotency-Key, if you sent one).',
    ja: 'ただいま一時的にご利用いただけません。少し待ってからもう一度お試しください（Idempotency-Key を送った場合は同じものを）。',
  },
  internalError: {
    en: 'Something went wrong on our side; nothing was changed. Please try again.',
    ja: 'こちら側で問題が発生しました。何も変更されていません。もう一度お試しください。',
  },
  busy: { en: 'The service is busy; please try again in a moment.', ja: 'ただいま混み合っています。少し待ってからお試しください。' },
  amountNotPayable: (amounts: string) => ({
    en: `Members pay requests on their phone bill, through premium-rate numbers that each bill one amount: ask for one of ${amounts}.`,
    ja: `支払いリクエストは、金額ごとの有料番号への通話料金としてお支払いいただきます。次のいずれかの金額でリクエストしてください: ${amounts}。`,
  }),

  // Members
  tooManyRegistrations: {
    en: 'Too many registrations from this address. Please try again later.',
    ja: 'この接続元からの登録が多すぎます。しばらくしてからお試しください。',
  },
  notSignedIn: { en: 'Log in first.', ja: '先にログインしてください。' },
  invalidCredentials: { en: 'The formal ID or the password is not correct.', ja: '正式IDまたはパスワードが違います。' },
  mistypedFormalId: { en: 'That formal ID has a digit wrong or two swapped: check the 9 digits you heard on the phone.', ja: '正式IDの数字に誤りがあるようです。電話で聞いた9桁をご確認ください。' },
  lockedOut: (minutes: number) => ({
    en: `Too many failed logins. Try again in ${minutes} minute(s).`,
    ja: `ログインの失敗が続きました。${minutes}分後にお試しください。`,
  }),

  // Merchants and operators
  invalidApiKey: {
    en: 'Send a valid merchant API key as "Authorization: Bearer <apiKey>".',
    ja: '有効な加盟店 API キーを "Authorization: Bearer <apiKey>" で送ってください。',
  },
  invalidAdminToken: {
    en: 'Send the operator token as "Authorization: Bearer <ADMIN_TOKEN>".',
    ja: '運用者トークンを "Authorization: Bearer <ADMIN_TOKEN>" で送ってください。',
  },
  unknownMerchant: { en: 'There is no such merchant.', ja: 'その加盟店はありません。' },
  currentKeyRequired: {
    en: 'Only the current API key may change the keys; a key in its overlap period may not.',
    ja: 'キーの変更は現在の API キーでのみできます。猶予期間中の古いキーではできません。',
  },
  webhookUrlNotAllowed: (why: string) => ({
    en: `webhookUrl ${why}: webhooks go to public addresses only.`,
    ja: `この webhookUrl は使えません（${why}）。Webhook の宛先は公開アドレスに限られます。`,
  }),
  idempotencyKeyRequired: {
    en: 'Send an Idempotency-Key header (1 to 255 characters, e.g. a UUID) so this request can be retried safely.',
    ja: 'このリクエストを安全に再送できるよう、Idempotency-Key ヘッダー（1〜255文字、UUID など）を送ってください。',
  },
  invalidIdempotencyKey: { en: 'Idempotency-Key must be 1 to 255 characters.', ja: 'Idempotency-Key は1〜255文字にしてください。' },
  idempotencyKeyReused: {
    en: 'This Idempotency-Key was used with a different request.',
    ja: 'この Idempotency-Key は別の内容のリクエストで使われています。',
  },
  tooManyFailedAttempts: (wait: number) => ({
    en: `Too many failed attempts; try again in ${seconds(wait)} second(s).`,
    ja: `失敗が多すぎます。${seconds(wait)}秒後にお試しください。`,
  }),
  tooManyBalanceChecks: (wait: number) => ({
    en: `Too many balance checks; try again in ${seconds(wait)} second(s).`,
    ja: `残高の確認が多すぎます。${seconds(wait)}秒後にお試しください。`,
  }),

  // Payment codes, redemptions, payment requests, webhook deliveries
  unknownCode: { en: 'There is no such payment code.', ja: 'その決済コードはありません。' },
  codeMistyped: {
    en: 'The code does not add up: a digit may be mistyped or two digits swapped.',
    ja: '決済コードの検査数字が合いません。打ち間違いか、数字の入れ替わりがあるかもしれません。',
  },
  codeLength: { en: 'A payment code is 16 digits.', ja: '決済コードは16桁です。' },
  wrongMerchant: { en: 'This code can only be used at another merchant.', ja: 'この決済コードは別の加盟店でのみ使えます。' },
  codeExpired: { en: 'This payment code has expired.', ja: 'この決済コードは有効期限が切れています。' },
  alreadyRedeemed: { en: 'This payment code has been spent in full.', ja: 'この決済コードは全額使用済みです。' },
  insufficientBalance: (remaining: number | string | undefined) => ({
    en: `Only ${remaining} is left on this payment code.`,
    ja: `この決済コードの残高は ${remaining} です。`,
  }),
  unknownRedemption: { en: 'There is no such redemption.', ja: 'その利用記録はありません。' },
  voidWindowPassed: (hours: number) => ({
    en: `A redemption can only be voided within ${hours} hours.`,
    ja: `利用の取り消しは${hours}時間以内に限られます。`,
  }),
  unknownPaymentRequest: { en: 'There is no such payment request.', ja: 'その支払いリクエストはありません。' },
  limitOutOfRange: (max: number) => ({ en: `limit must be a whole number from 1 to ${max}.`, ja: `limit は1から${max}までの整数にしてください。` }),
  badDay: (field: string) => ({ en: `${field} must be a real day, written YYYY-MM-DD`, ja: `${field} は YYYY-MM-DD の形の実在する日付にしてください` }),
  backwardsRange: { en: 'from must be on or before to', ja: 'from は to と同じか、それより前の日付にしてください' },
  unknownCursor: { en: 'cursor is not one this API gave out.', ja: 'cursor はこの API が返した値ではありません。' },
  unknownEvent: { en: 'There is no such webhook event.', ja: 'その Webhook イベントはありません。' },
  deliveryPending: {
    en: 'This event is still being delivered; its next attempt is scheduled.',
    ja: 'このイベントは配信中です。次の試行が予定されています。',
  },
} satisfies Record<string, ApiText | ((...details: never[]) => ApiText)>;

/** Entries with an empty text in either language (functions are called with sample details). */
export function missingApiTranslations(): string[] {
  return Object.entries(API_TEXT).flatMap(([name, entry]) => {
    const text: ApiText = typeof entry === 'function' ? (entry as (...details: unknown[]) => ApiText)(...Array(entry.length).fill(1)) : entry;
    return (['en', 'ja'] as const).filter((lang) => !text[lang]?.trim()).map((lang) => `${name}.${lang}`);
  });
}
