import { LOCALES, type Locale } from '../config.ts';

/**
 * What a call remembers between webhooks. It travels in the query string of the URLs our TwiML
 * hands to Twilio: Twilio signs the full URL it requests, so the caller cannot alter it, and
 * no Redis round trip is needed to know the language or the count of wrong entries.
 */
export interface CallState {
  locale: Locale;
  /** When the call was picked up (Unix seconds): a signed step older than any call can be is refused. */
  startedAt: number;
  /** Wrong entries in this call since the caller was last proved (activation, or formal ID + PIN, start it over); the third ends it. */
  wrongEntries: number;
  /** Silences in a row: the first is asked again, the second ends the call. */
  silences: number;
  /** Times the main menu has been replayed on request (0). */
  menuRepeats: number;
  /** Speech not understood (or turned down at its read-back) in a row: from the second, the keypad is asked for. */
  speechMisses: number;
  /** The caller has answered by voice in this call: the keys-only PIN prompt then says why it does not listen. */
  spoke?: boolean;
  /**
   * The call speaks a member's language: the line is a member's, or an ID keyed told it. The menu
   * then never offers the other language (asks.ts, speaksMemberLanguage); 9 still switches.
   */
  languageKnown?: boolean;
  /** The member this call has identified (by activation or formal ID + PIN). */
  memberId?: string;
  /** What to do once the caller has signed in: 'buy', 'approve' or 'renew'. */
  next?: string;
  /** Set once the formal ID is keyed, before the PIN. */
  pendingMemberId?: string;
  /**
   * The number the call reached (Twilio's To on every request; not carried in the URL): on
   * premium-rate its tariff is what the carrier bills for the call (src/charging/methods.ts).
   */
  to: string;
  /** premium-rate: this call's price has paid for a purchase already (a call pays for one thing). */
  premiumPaid?: boolean;
  /** The last four digits of the card the signed-in member keeps for paying by phone (CARD_PROCESSOR=stripe). */
  keptCard?: string;
  /**
   * Results this answer tells (`<CallSid>|<step>`, comma-separated: unheard.ts): the next request
   * of the call carrying them shows the answer was played, and they stop being "unheard".
   */
  delivered?: string;
  /** Extra flow-specific values (e.g. a chosen amount), short keys only. */
  extra: Record<string, string>;
}

export const initialCallState = (locale: Locale, nowMs: number, to = ''): CallState => ({
  locale,
  to,
  startedAt: Math.floor(nowMs / 1000),
  wrongEntries: 0,
  silences: 0,
  menuRepeats: 0,
  speechMisses: 0,
  extra: {},
});

/**
 * Twilio ends a call after its time limit, four hours unless set otherwise (docs/TWILIO-BEHAVIOUR.md);
 * a signed step older than that is a replay, not a call in progress.
 */
export const MAX_CALL_AGE_SECONDS = 4 * 3600;

const RESERVED = new Set(['l', 't', 'w', 's', 'r', 'sm', 'v', 'lk', 'm', 'n', 'p', 'pp', 'kc', 'd']);

export function parseCallState(query: Record<string, unknown>, defaultLocale: Locale, to = ''): CallState {
  const str = (k: string) => (typeof query[k] === 'string' ? (query[k] as string) : undefined);
  const int = (k: string) => {
    const n = Number(str(k) ?? 0);
    return Number.isInteger(n) && n >= 0 && n < 100 ? n : 0;
  };
  const locale = LOCALES.find((l) => l === str('l')) ?? defaultLocale;
  const digitsOnly = (v: string | undefined) => (v && /^\d{1,32}$/.test(v) ? v : undefined);
  const startedAt = Number(digitsOnly(str('t')) ?? 0);
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (!RESERVED.has(k) && typeof v === 'string') extra[k] = v;
  return {
    locale,
    startedAt,
    wrongEntries: int('w'),
    silences: int('s'),
    menuRepeats: int('r'),
    speechMisses: int('sm'),
    ...(str('v') === '1' ? { spoke: true } : {}),
    ...(str('lk') === '1' ? { languageKnown: true } : {}),
    memberId: digitsOnly(str('m')),
    next: str('n'),
    pendingMemberId: digitsOnly(str('p')),
    to,
    premiumPaid: str('pp') === '1' || undefined,
    keptCard: /^\d{4}$/.test(str('kc') ?? '') ? str('kc') : undefined,
    ...(/^[A-Za-z0-9|,_-]{1,600}$/.test(str('d') ?? '') ? { delivered: str('d') } : {}),
    extra,
  };
}

/** Whether the signed state belongs to a call that could still be in progress at `nowMs`. */
export const callStateIsCurrent = (state: CallState, nowMs: number): boolean => {
  const age = nowMs / 1000 - state.startedAt;
  return state.startedAt > 0 && age >= -300 && age <= MAX_CALL_AGE_SECONDS;
};

/** The URL for the next webhook, with the state in its query (built by hand: URLSearchParams costs more per webhook). */
export function callUrl(baseUrl: string, path: string, state: CallState): string {
  let query = `l=${state.locale}&t=${state.startedAt}`;
  if (state.wrongEntries) query += `&w=${state.wrongEntries}`;
  if (state.silences) query += `&s=${state.silences}`;
  if (state.menuRepeats) query += `&r=${state.menuRepeats}`;
  if (state.speechMisses) query += `&sm=${state.speechMisses}`;
  if (state.spoke) query += '&v=1';
  if (state.languageKnown) query += '&lk=1';
  if (state.memberId) query += `&m=${encodeURIComponent(state.memberId)}`;
  if (state.next) query += `&n=${encodeURIComponent(state.next)}`;
  if (state.pendingMemberId) query += `&p=${encodeURIComponent(state.pendingMemberId)}`;
  if (state.premiumPaid) query += '&pp=1';
  if (state.keptCard) query += `&kc=${state.keptCard}`;
  if (state.delivered) query += `&d=${encodeURIComponent(state.delivered)}`;
  for (const name in state.extra) query += `&${encodeURIComponent(name)}=${encodeURIComponent(state.extra[name]!)}`;
  return `${baseUrl}${path}?${query}`;
}
