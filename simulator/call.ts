import { inboundCallParams, newCallSid } from './webhook-params.ts';
import twilio from 'twilio';
import { CallFailure } from './call-failure.ts';
import { collectKeys, type EntryEnd } from './keys.ts';
import { DEFAULT_PAY_PROMPTS, DEFAULT_PROCESSING_PROMPT, fakeToken, maskCard, cardType, PAY_RETRY_PROMPT, payFieldError, TEST_CARD_DECLINED } from './test-cards.ts';
import { stripeConnector } from './stripe.ts';
import { parseTwimlDocument, type SpokenSegment, type GatherVerb, type HttpMethod, type PayErrorType, type PayField, type PayVerb, type Prompt, type Verb } from './twiml-document.ts';

/** What the caller is asked for: keys for a <Gather>, or one field of a <Pay>. */
export interface KeyRequest {
  purpose: 'gather' | PayField;
  numDigits?: number;
  finishOnKey: string;
  timeout: number;
}

/**
 * The person holding the phone. `keys` answers one request with the keys pressed in a row
 * ('' = silence until the timeout), or null when the caller hangs up instead.
 */
export interface Caller {
  keys(request: KeyRequest): Promise<string | null>;
}

export type CallEvent =
  | { type: 'request'; method: HttpMethod; url: string; params: Record<string, string> }
  | { type: 'response'; url: string; status: number; contentType: string; body: string }
  | { type: 'say'; text: string; segments: SpokenSegment[]; numbers: string[]; voice?: string; language?: string; loop: number }
  | { type: 'play'; url?: string; digits?: string; loop: number }
  | { type: 'pause'; seconds: number }
  | { type: 'keys'; purpose: KeyRequest['purpose']; digits: string; finishedOnKey: string; ended: EntryEnd; ignored: string; timeout: number }
  | { type: 'redirect'; url: string; method: HttpMethod }
  | { type: 'pay-result'; result: string }
  | { type: 'ended'; by: 'app' | 'caller' | 'end-of-document' | 'reject' | 'failure'; callStatus: string; duration: number };

export interface PlaceCallOptions {
  /** The app's public base URL: what Twilio would request and sign (PUBLIC_BASE_URL). */
  baseUrl: string;
  authToken: string;
  from: string;
  to: string;
  /** Path of the "a call comes in" webhook under baseUrl. */
  voicePath?: string;
  /** Path of the status callback under baseUrl. */
  statusPath?: string;
  /**
   * Where requests for baseUrl really go (the app's own listener), as a tunnel or proxy in front of
   * it would forward them. The signature is still computed over the public URL.
   */
  connectTo?: string;
  /** Refuse TwiML that points away from baseUrl (the browser simulator must not fetch arbitrary URLs). */
  sameOriginOnly?: boolean;
  accountSid?: string;
  callSid?: string;
  /** Webhook requests allowed in one call, so a <Redirect> loop ends. */
  maxRequests?: number;
  requestTimeoutMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
  /**
   * The Pay Connectors of the Twilio account, by unique name (paymentConnector): a `stripe` one
   * tokenizes and charges at that Stripe API (the stand-in in tests); any other name charges
   * with made-up codes, as a test connector does.
   */
  payConnectors?: Record<string, { stripe: { url: string; secretKey: string } }>;
}

export interface CallRecord {
  callSid: string;
  from: string;
  to: string;
  url: string;
  startedAt: string;
  events: CallEvent[];
  callStatus?: string;
  duration?: number;
  error?: { kind: string; message: string };
}

export { newCallSid };

/** The body of every webhook Twilio sends for this call. */
const callParams = (call: CallRecord, accountSid: string, callStatus: string) => inboundCallParams({ ...call, accountSid, callStatus });

/** RFC 2822 time, as in Twilio's status callbacks. */
const rfc2822 = (ms: number) => new Date(ms).toUTCString().replace('GMT', '+0000');

const XML_TYPES = /^(text\/xml|application\/xml|text\/html)\b/;

type Next = { method: HttpMethod; url: string; extra: Record<string, string> };
type Ending = { end: CallEvent & { type: 'ended' } };

/**
 * Places one inbound call against a Twilio voice app and plays its TwiML the way Twilio does:
 * signed form-encoded webhooks, verbs in order, <Gather> falling through on silence, and the
 * status callback at the end. Every step is reported through onEvent (awaited, so a speaker can
 * finish a prompt before keys are asked for). Throws CallFailure on an HTTP error, invalid TwiML
 * or an unknown verb, after sending the status callback as Twilio would.
 */
export async function placeCall(options: PlaceCallOptions, caller: Caller, onEvent: (event: CallEvent) => void | Promise<void> = () => {}): Promise<CallRecord> {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const accountSid = options.accountSid ?? `AC${'0'.repeat(32)}`;
  const maxRequests = options.maxRequests ?? 200;
  const startedMs = now();
  const call: CallRecord = {
    callSid: options.callSid ?? newCallSid(),
    from: options.from,
    to: options.to,
    url: `${baseUrl}${options.voicePath ?? '/twilio/voice'}`,
    startedAt: new Date(startedMs).toISOString(),
    events: [],
  };
  const emit = async (event: CallEvent) => {
    call.events.push(event);
    await onEvent(event);
  };
  let answeredMs: number | undefined;
  let requests = 0;

  const target = (url: string): string => {
    const inside = url === baseUrl || url.startsWith(`${baseUrl}/`) || url.startsWith(`${baseUrl}?`);
    if (!inside && options.sameOriginOnly) throw new CallFailure('http', `the TwiML points outside ${baseUrl}: ${url}`);
    return inside && options.connectTo ? options.connectTo.replace(/\/+$/, '') + url.slice(baseUrl.length) : url;
  };

  async function webhook(method: HttpMethod, url: string, params: Record<string, string>): Promise<{ status: number; contentType: string; body: string }> {
    let signedUrl = new URL(url).href;
    let body: string | undefined;
    if (method === 'GET') {
      const withQuery = new URL(signedUrl);
      for (const [k, v] of Object.entries(params)) withQuery.searchParams.append(k, v);
      signedUrl = withQuery.href;
    } else body = new URLSearchParams(params).toString();
    const signature = twilio.getExpectedTwilioSignature(options.authToken, signedUrl, method === 'GET' ? {} : params);
    await emit({ type: 'request', method, url: signedUrl, params });
    let res: Response;
    try {
      res = await doFetch(target(signedUrl), {
        method,
        headers: {
          ...(body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' } : {}),
          'X-Twilio-Signature': signature,
          'User-Agent': 'TwilioProxy/1.1',
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.requestTimeoutMs ?? 15_000),
      });
    } catch (error) {
      if (error instanceof CallFailure) throw error;
      throw new CallFailure('http', `${method} ${signedUrl} failed: ${(error as Error).message}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ''}`);
    }
    const answer = { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
    await emit({ type: 'response', url: signedUrl, ...answer });
    return answer;
  }

  const elapsedSeconds = () => (answeredMs === undefined ? 0 : Math.max(1, Math.ceil((now() - answeredMs) / 1000)));
  const ended = (by: Extract<CallEvent, { type: 'ended' }>['by'], callStatus = 'completed'): Ending => ({
    end: { type: 'ended', by, callStatus, duration: callStatus === 'completed' ? elapsedSeconds() : 0 },
  });

  async function play(prompt: Prompt): Promise<void> {
    answeredMs ??= now();
    if (prompt.verb === 'Say') await emit({ type: 'say', text: prompt.text, segments: prompt.segments, numbers: prompt.numbers, voice: prompt.voice, language: prompt.language, loop: prompt.loop });
    else if (prompt.verb === 'Play') await emit({ type: 'play', url: prompt.url, digits: prompt.digits, loop: prompt.loop });
    else await emit({ type: 'pause', seconds: prompt.seconds });
  }

  async function gather(verb: GatherVerb, documentUrl: string): Promise<Next | Ending | undefined> {
    for (const prompt of verb.prompts) await play(prompt);
    answeredMs ??= now();
    const keys = await caller.keys({ purpose: 'gather', numDigits: verb.numDigits, finishOnKey: verb.finishOnKey, timeout: verb.timeout });
    if (keys === null) return ended('caller');
    const entry = collectKeys(keys, verb);
    await emit({ type: 'keys', purpose: 'gather', ...entry, timeout: verb.timeout });
    if (entry.digits === '' && !verb.actionOnEmptyResult) return undefined;
    return { method: verb.method, url: new URL(verb.action ?? documentUrl, documentUrl).href, extra: { Digits: entry.digits, FinishedOnKey: entry.finishedOnKey } };
  }

  /**
   * <Pay> as Twilio documents it ([Pay], [Prompt]): each field asked in turn, asked again after a
   * time-out or an invalid entry until maxAttempts, '*' ends it; then `action` is requested with
   * Result and, on success, the masked card and either PaymentConfirmationCode (a charge) or
   * PaymentToken and ProfileId (a tokenization: no chargeAmount). A caller who hangs up mid-card
   * still makes Twilio request `action` (Result=caller-hung-up); what it answers is never played.
   */
  async function pay(verb: PayVerb, documentUrl: string): Promise<Next | Ending> {
    const fields: PayField[] = ['payment-card-number', 'expiration-date', ...(verb.securityCode ? (['security-code'] as const) : []), ...(verb.postalCode ? (['postal-code'] as const) : [])];
    const values: Partial<Record<PayField, string>> = {};
    const actionUrl = new URL(verb.action ?? documentUrl, documentUrl).href;
    const action = (extra: Record<string, string>): Next => ({ method: 'POST', url: actionUrl, extra: { PaymentMethod: 'credit-card', ...extra } });
    const finish = async (result: string, extra: Record<string, string> = {}) => {
      await emit({ type: 'pay-result', result });
      return action({ Result: result, ...extra });
    };
    const say = (text: string): Prompt => ({ verb: 'Say', text, segments: [{ text }], numbers: [], loop: 1 });
    // Progress goes to statusCallback ([Pay]: For, Attempt, ErrorType); what it answers changes nothing.
    const progress = async (status: Record<string, string>) => {
      if (!verb.statusCallback) return;
      const url = new URL(verb.statusCallback, documentUrl).href;
      await webhook('POST', url, { AccountSid: accountSid, CallSid: call.callSid, PaymentMethod: 'credit-card', ...status }).catch(() => undefined);
    };
    for (const field of fields) {
      let error: PayErrorType | undefined;
      for (let attempt = 1; ; attempt++) {
        await progress({ For: field, Attempt: String(attempt), ...(error ? { ErrorType: error === 'timeout' ? 'input-timeout' : error } : {}) });
        const custom = error ? verb.retryPrompts[field]?.[error] : verb.prompts[field];
        if (custom?.length) for (const prompt of custom) await play(prompt);
        else {
          if (error) await play(say(PAY_RETRY_PROMPT[field]));
          const first = verb.prompts[field];
          if (error && first?.length) for (const prompt of first) await play(prompt);
          else await play(say(DEFAULT_PAY_PROMPTS[field]));
        }
        const keys = await caller.keys({ purpose: field, finishOnKey: '#', timeout: verb.timeout });
        if (keys === null) {
          await emit({ type: 'pay-result', result: 'caller-hung-up' });
          const hungUp = action({ Result: 'caller-hung-up' });
          await webhook(hungUp.method, hungUp.url, { ...callParams(call, accountSid, 'in-progress'), ...hungUp.extra });
          return ended('caller');
        }
        // '*' ends <Pay> at any point.
        if (keys.includes('*')) return finish('caller-interrupted-with-star');
        const entry = collectKeys(keys, { finishOnKey: '#' });
        await emit({ type: 'keys', purpose: field, ...entry, digits: field === 'payment-card-number' ? maskCard(entry.digits) : entry.digits, timeout: verb.timeout });
        error = entry.digits === '' ? 'timeout' : payFieldError(field, entry.digits, { cardNumber: values['payment-card-number'], validCardTypes: verb.validCardTypes, now: new Date(now()) });
        if (!error) {
          values[field] = entry.digits;
          break;
        }
        if (attempt >= verb.maxAttempts) return finish('too-many-failed-attempts', { PaymentError: error === 'timeout' ? 'input-timeout' : error });
      }
    }
    const card = values['payment-card-number']!;
    const details: Record<string, string> = {
      PaymentCardNumber: maskCard(card),
      PaymentCardType: cardType(card)!,
      ExpirationDate: values['expiration-date']!,
      ...(values['security-code'] ? { SecurityCode: 'x'.repeat(values['security-code'].length) } : {}),
      ...(values['postal-code'] ? { PaymentCardPostalCode: values['postal-code'] } : {}),
    };
    await progress({ For: 'payment-processing', Attempt: '1' });
    // Said while the connector works: the <Prompt for="payment-processing">, or Twilio's own (English) message.
    const processing = verb.prompts['payment-processing'];
    if (processing?.length) for (const prompt of processing) await play(prompt);
    else await play(say(DEFAULT_PROCESSING_PROMPT));
    const connector = options.payConnectors?.[verb.paymentConnector]?.stripe;
    if (connector) {
      const done = await stripeConnector(
        connector,
        { number: card, expiry: values['expiration-date']!, securityCode: values['security-code'], postalCode: values['postal-code'] },
        verb.chargeAmount ? { amount: verb.chargeAmount, currency: verb.currency, description: verb.description } : undefined,
      ).catch((error: Error) => ({ ok: false as const, code: 'processing_error', message: error.message }));
      if (!done.ok) return finish('payment-connector-error', { ...details, PaymentError: done.message, ConnectorError: done.code });
      if (verb.chargeAmount) return finish('success', { ...details, PaymentConfirmationCode: done.paymentIntent! });
      return finish('success', { ...details, PaymentToken: done.paymentMethod });
    }
    if (card === TEST_CARD_DECLINED) return finish('payment-connector-error', { ...details, PaymentError: 'card is declined', ConnectorError: 'card_declined' });
    if (verb.chargeAmount) return finish('success', { ...details, PaymentConfirmationCode: fakeToken('ch') });
    return finish('success', { ...details, PaymentToken: fakeToken('tok'), ProfileId: fakeToken('cus') });
  }

  async function execute(verbs: Verb[], documentUrl: string): Promise<Next | Ending> {
    for (const verb of verbs) {
      switch (verb.verb) {
        case 'Say':
        case 'Play':
        case 'Pause':
          await play(verb);
          break;
        case 'Gather': {
          const next = await gather(verb, documentUrl);
          if (next) return next;
          break;
        }
        case 'Redirect': {
          const url = new URL(verb.url, documentUrl).href;
          await emit({ type: 'redirect', url, method: verb.method });
          return { method: verb.method, url, extra: {} };
        }
        case 'Hangup':
          answeredMs ??= now();
          return ended('app');
        case 'Reject':
          // Rejected before pick-up, the call is never answered; later, <Reject> just hangs up.
          return answeredMs === undefined ? ended('reject', verb.reason === 'busy' ? 'busy' : 'no-answer') : ended('app');
        case 'Pay':
          answeredMs ??= now();
          return pay(verb, documentUrl);
      }
    }
    return ended('end-of-document');
  }

  async function statusCallback(end: Ending['end']): Promise<void> {
    const params = {
      ...callParams(call, accountSid, end.callStatus),
      CallDuration: String(end.duration),
      Timestamp: rfc2822(now()),
      CallbackSource: 'call-progress-events',
      SequenceNumber: '0',
    };
    const url = `${baseUrl}${options.statusPath ?? '/twilio/voice/status'}`;
    const res = await webhook('POST', url, params);
    if (res.status < 200 || res.status >= 300) throw new CallFailure('http', `POST ${url} (status callback) answered ${res.status}`);
  }

  let next: Next | Ending = { method: 'POST', url: call.url, extra: {} };
  try {
    while (!('end' in next)) {
      if (++requests > maxRequests) throw new CallFailure('too-many-requests', `more than ${maxRequests} webhook requests in one call (a <Redirect> loop?)`);
      const status = answeredMs === undefined ? 'ringing' : 'in-progress';
      const res = await webhook(next.method, next.url, { ...callParams(call, accountSid, status), ...next.extra });
      const where = `${next.method} ${next.url}`;
      if (res.status < 200 || res.status >= 300) throw new CallFailure('http', `${where} answered ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`);
      const type = res.contentType.toLowerCase();
      let verbs: Verb[];
      if (XML_TYPES.test(type)) verbs = parseTwimlDocument(res.body);
      // Twilio plays an audio file answered in place of TwiML.
      else if (type.startsWith('audio/')) verbs = [{ verb: 'Play', url: next.url, loop: 1 }];
      else throw new CallFailure('invalid-twiml', `invalid TwiML: ${where} answered with Content-Type "${res.contentType}", not XML`);
      next = await execute(verbs, next.url);
    }
  } catch (error) {
    if (!(error instanceof CallFailure)) throw error;
    call.error = { kind: error.kind, message: error.message };
    // Twilio ends the call ("an application error has occurred") and still reports how it ended.
    const end = ended('failure').end;
    await emit(end);
    call.callStatus = end.callStatus;
    call.duration = end.duration;
    await statusCallback(end).catch(() => undefined);
    throw error;
  }
  await emit(next.end);
  call.callStatus = next.end.callStatus;
  call.duration = next.end.duration;
  await statusCallback(next.end);
  return call;
}
