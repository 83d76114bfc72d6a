import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CallFailure } from './call-failure.ts';

export type HttpMethod = 'GET' | 'POST';

/** What a <Say> is made of, as a listener hears it: words, digits read one by one, silences. */
export type SpokenSegment = { text: string } | { digits: string } | { pauseSeconds: number };

export interface SayVerb {
  verb: 'Say';
  /** What is said, SSML read as a listener hears it: digits in <say-as interpret-as="digits"> one by one ("6 5 2"). */
  text: string;
  segments: SpokenSegment[];
  /** Each <say-as interpret-as="digits"> run, joined per <prosody> block: what a listener writes down. */
  numbers: string[];
  voice?: string;
  language?: string;
  /** How many times it is said; 0 means until the call ends. */
  loop: number;
}
export interface PlayVerb {
  verb: 'Play';
  url?: string;
  /** DTMF tones played instead of a file (`digits` attribute). */
  digits?: string;
  loop: number;
}
export interface PauseVerb {
  verb: 'Pause';
  seconds: number;
}
export type Prompt = SayVerb | PlayVerb | PauseVerb;

export interface GatherVerb {
  verb: 'Gather';
  action?: string;
  method: HttpMethod;
  timeout: number;
  numDigits?: number;
  /** '' when no key ends the entry. */
  finishOnKey: string;
  actionOnEmptyResult: boolean;
  prompts: Prompt[];
}
export interface RedirectVerb {
  verb: 'Redirect';
  url: string;
  method: HttpMethod;
}
export interface HangupVerb {
  verb: 'Hangup';
}
export interface RejectVerb {
  verb: 'Reject';
  reason: 'rejected' | 'busy';
}

export const PAY_FIELDS = ['payment-card-number', 'expiration-date', 'security-code', 'postal-code'] as const;
export type PayField = (typeof PAY_FIELDS)[number];
/**
 * The payment steps a <Prompt for> may name ([Prompt]: "There are seven payment steps"): the card
 * fields, the bank-account fields of ach-debit (not emulated) and the message before processing.
 */
export const PAY_PROMPT_STEPS = [...PAY_FIELDS, 'bank-routing-number', 'bank-account-number', 'payment-processing'] as const;
export type PayPromptStep = (typeof PAY_PROMPT_STEPS)[number];

/** Why a <Pay> field is asked again ([Prompt] errorType); only the card ones are emulated. */
export type PayErrorType = 'timeout' | 'invalid-card-number' | 'invalid-card-type' | 'invalid-date' | 'invalid-security-code' | 'invalid-postal-code';
/** The errorType values a <Prompt> may name (twilio-node's PromptErrorType, generated from Twilio's definitions). */
export const PROMPT_ERROR_TYPES = ['timeout', 'invalid-card-number', 'invalid-card-type', 'invalid-date', 'invalid-security-code', 'internal-error', 'input-matching-failed'] as const;
/** <Pay tokenType> ([Pay], twilio-node's PayTokenType): with a Stripe connector, payment-method gives a Stripe PaymentMethod ID. */
export const PAY_TOKEN_TYPES = ['one-time', 'reusable', 'payment-method'] as const;

export interface PayVerb {
  verb: 'Pay';
  action?: string;
  /** Where Twilio posts the progress of the entry (which field, which attempt, why asked again). */
  statusCallback?: string;
  timeout: number;
  maxAttempts: number;
  securityCode: boolean;
  postalCode: boolean;
  /** Undefined or 0: tokenize only. */
  chargeAmount?: string;
  currency: string;
  tokenType: string;
  validCardTypes: string[];
  /** The Pay Connector that charges or tokenizes (paymentConnector; Default when absent). */
  paymentConnector: string;
  description?: string;
  /** Custom <Prompt for="..."> speech, by step: the first one without errorType, and one per error type for retries. */
  prompts: Partial<Record<PayPromptStep, Prompt[]>>;
  retryPrompts: Partial<Record<PayField, Partial<Record<PayErrorType, Prompt[]>>>>;
}

export type Verb = Prompt | GatherVerb | RedirectVerb | HangupVerb | RejectVerb | PayVerb;

interface XmlNode {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text?: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
});

function toNodes(raw: unknown[]): XmlNode[] {
  return raw.map((entry) => {
    const record = entry as Record<string, unknown>;
    if ('#text' in record) return { name: '#text', attributes: {}, children: [], text: String(record['#text']) };
    const name = Object.keys(record).find((k) => k !== ':@')!;
    const attributes = (record[':@'] as Record<string, string> | undefined) ?? {};
    return { name, attributes, children: Array.isArray(record[name]) ? toNodes(record[name] as unknown[]) : [] };
  });
}

/** Real TwiML verbs this simulator does not play; named so the message says "not supported", not "unknown". */
const UNSUPPORTED_VERBS = new Set(['Dial', 'Record', 'Enqueue', 'Leave', 'Connect', 'Refer', 'Sms', 'Message', 'Start', 'Stop', 'Echo', 'Queue', 'Conference']);

const invalid = (message: string) => new CallFailure('invalid-twiml', `invalid TwiML: ${message}`);

function intAttribute(node: XmlNode, name: string, fallback: number, min: number): number {
  const raw = node.attributes[name];
  if (raw === undefined) return fallback;
  const value = Number(raw.trim());
  if (!/^\s*\d+\s*$/.test(raw) || value < min) throw invalid(`<${node.name} ${name}="${raw}"> must be a whole number of at least ${min}`);
  return value;
}

function boolAttribute(node: XmlNode, name: string, fallback: boolean): boolean {
  const raw = node.attributes[name];
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw invalid(`<${node.name} ${name}="${raw}"> must be true or false`);
}

function methodAttribute(node: XmlNode): HttpMethod {
  const raw = (node.attributes.method ?? 'POST').toUpperCase();
  if (raw !== 'GET' && raw !== 'POST') throw invalid(`<${node.name} method="${node.attributes.method}"> must be GET or POST`);
  return raw;
}

const plainText = (node: XmlNode): string => (node.name === '#text' ? (node.text ?? '') : node.children.map(plainText).join(''));

const isDigits = (node: XmlNode) => node.name === 'say-as' && node.attributes['interpret-as'] === 'digits';

/** SSML <break time="500ms"/> or "1s"; a break without a time is a medium pause. */
function breakSeconds(node: XmlNode): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$/.exec(node.attributes.time ?? '');
  if (!match) return 0.5;
  return match[2] === 'ms' ? Number(match[1]) / 1000 : Number(match[1]);
}

/**
 * Reads a <Say> body the way a listener hears it: SSML tags are read as their text, digits in
 * <say-as interpret-as="digits"> one by one (as Polly reads them), breaks as pauses.
 */
function spokenSegments(nodes: XmlNode[], numbers: string[], segments: SpokenSegment[]): void {
  for (const node of nodes) {
    if (node.name === '#text') segments.push({ text: node.text ?? '' });
    else if (node.name === 'break') segments.push({ pauseSeconds: breakSeconds(node) });
    else if (node.name === 'sub') segments.push({ text: node.attributes.alias ?? plainText(node) });
    else if (node.name === 'p' || node.name === 's') {
      segments.push({ text: ' ' });
      spokenSegments(node.children, numbers, segments);
      segments.push({ text: ' ' });
    } else if (isDigits(node)) {
      numbers.push(plainText(node).replace(/\s+/g, ''));
      segments.push({ digits: plainText(node).replace(/\s+/g, '') });
    } else if (node.name === 'prosody' && node.children.some(isDigits)) {
      // Groups read slowly in one block are one number (an ID read in groups of three).
      numbers.push(node.children.filter(isDigits).map(plainText).join('').replace(/\s+/g, ''));
      spokenSegments(node.children, [], segments);
    } else spokenSegments(node.children, numbers, segments);
  }
}

/** The segments as text: digits spaced one by one, digit groups apart, so a speech engine reads what a caller hears. */
export function segmentsAsText(segments: SpokenSegment[]): string {
  let out = '';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if ('text' in segment) out += segment.text;
    else if ('digits' in segment) out += `${/[^\s、。]$/.test(out) ? ' ' : ''}${segment.digits.split('').join(' ')}`;
    // A pause between digit groups reads as a comma: "6 5 2, 9 2 1".
    else if (i > 0 && 'digits' in segments[i - 1]! && segments[i + 1] && 'digits' in segments[i + 1]!) out += ',';
    else out += ' ';
    if ('digits' in segment && segments[i + 1] && 'text' in segments[i + 1]! && /^[^\s、。,.]/.test((segments[i + 1] as { text: string }).text)) out += ' ';
  }
  // Text joined from SSML children can leave a comma against the next word ("Thanks,<emphasis>bye"):
  // give it its space, but not a comma between digits, a thousands separator ("1,000 yen").
  return out.replace(/(?<!\d),(?=\S)|,(?=[^\s\d])/g, ', ').replace(/\s+/g, ' ').trim();
}

function sayVerb(node: XmlNode): SayVerb {
  const numbers: string[] = [];
  const segments: SpokenSegment[] = [];
  spokenSegments(node.children, numbers, segments);
  return { verb: 'Say', text: segmentsAsText(segments), segments, numbers, voice: node.attributes.voice, language: node.attributes.language, loop: intAttribute(node, 'loop', 1, 0) };
}

function promptVerb(node: XmlNode, parent: string): Prompt {
  switch (node.name) {
    case 'Say':
      return sayVerb(node);
    case 'Play': {
      const url = plainText(node).trim() || undefined;
      const digits = node.attributes.digits;
      if (!url && !digits) throw invalid('<Play> needs a URL or a digits attribute');
      if (digits !== undefined && !/^[0-9*#wW]+$/.test(digits)) throw invalid(`<Play digits="${digits}"> may only hold 0-9, *, # and w`);
      return { verb: 'Play', url, digits, loop: intAttribute(node, 'loop', 1, 0) };
    }
    case 'Pause':
      return { verb: 'Pause', seconds: intAttribute(node, 'length', 1, 1) };
    default:
      throw invalid(`<${parent}> may only contain <Say>, <Play> and <Pause>, not <${node.name}>`);
  }
}

const elements = (nodes: XmlNode[]) => {
  const stray = nodes.find((n) => n.name === '#text' && n.text?.trim());
  if (stray) throw invalid(`unexpected text "${stray.text!.trim().slice(0, 40)}"`);
  return nodes.filter((n) => n.name !== '#text' && n.name !== '#comment');
};

function gatherVerb(node: XmlNode): GatherVerb {
  const input = node.attributes.input ?? 'dtmf';
  if (!input.split(/\s+/).includes('dtmf')) throw new CallFailure('unsupported', `<Gather input="${input}">: the simulator only takes keys (dtmf), not speech`);
  const finishOnKey = node.attributes.finishOnKey ?? '#';
  if (!/^[0-9*#]?$/.test(finishOnKey)) throw invalid(`<Gather finishOnKey="${finishOnKey}"> must be one of 0-9, * or #, or empty`);
  return {
    verb: 'Gather',
    action: node.attributes.action?.trim() || undefined,
    method: methodAttribute(node),
    timeout: intAttribute(node, 'timeout', 5, 1),
    numDigits: node.attributes.numDigits === undefined ? undefined : intAttribute(node, 'numDigits', 1, 1),
    finishOnKey,
    actionOnEmptyResult: boolAttribute(node, 'actionOnEmptyResult', false),
    prompts: elements(node.children).map((child) => promptVerb(child, 'Gather')),
  };
}

function tokenTypeOf(node: XmlNode): string {
  const tokenType = node.attributes.tokenType ?? 'reusable';
  if (!(PAY_TOKEN_TYPES as readonly string[]).includes(tokenType)) throw invalid(`<Pay tokenType="${tokenType}"> must be one of ${PAY_TOKEN_TYPES.join(', ')}`);
  return tokenType;
}

function payVerb(node: XmlNode): PayVerb {
  const paymentMethod = node.attributes.paymentMethod ?? 'credit-card';
  if (paymentMethod !== 'credit-card') throw new CallFailure('unsupported', `<Pay paymentMethod="${paymentMethod}">: the simulator only takes test cards (credit-card)`);
  if ((node.attributes.method ?? 'POST').toUpperCase() !== 'POST') throw invalid('<Pay method> can only be POST');
  const chargeAmount = node.attributes.chargeAmount;
  if (chargeAmount !== undefined && !/^\d+(\.\d{1,2})?$/.test(chargeAmount)) throw invalid(`<Pay chargeAmount="${chargeAmount}"> must be a decimal amount`);
  const postal = node.attributes.postalCode ?? 'true';
  const prompts: PayVerb['prompts'] = {};
  const retryPrompts: PayVerb['retryPrompts'] = {};
  for (const child of elements(node.children)) {
    if (child.name === 'Parameter') continue;
    if (child.name !== 'Prompt') throw invalid(`<Pay> may only contain <Prompt> and <Parameter>, not <${child.name}>`);
    const step = PAY_PROMPT_STEPS.find((f) => f === child.attributes.for);
    if (!step) throw invalid(`<Prompt for="${child.attributes.for ?? ''}"> must name one of ${PAY_PROMPT_STEPS.join(', ')}`);
    // A prompt with errorType is said when the field is asked again for one of those errors; the
    // first one without is said the first time ([Prompt]). `attempt` and `cardType` are not told apart.
    const said = elements(child.children).map((c) => promptVerb(c, 'Prompt'));
    const errorTypes = (child.attributes.errorType ?? '').split(/\s+/).filter(Boolean);
    const unknown = errorTypes.find((e) => !(PROMPT_ERROR_TYPES as readonly string[]).includes(e));
    if (unknown) throw invalid(`<Prompt errorType="${unknown}"> is not one of ${PROMPT_ERROR_TYPES.join(', ')}`);
    if (errorTypes.length === 0) prompts[step] ??= said;
    const field = PAY_FIELDS.find((f) => f === step);
    if (field) for (const errorType of errorTypes as PayErrorType[]) (retryPrompts[field] ??= {})[errorType] ??= said;
  }
  return {
    verb: 'Pay',
    action: node.attributes.action?.trim() || undefined,
    statusCallback: node.attributes.statusCallback?.trim() || undefined,
    timeout: intAttribute(node, 'timeout', 5, 1),
    maxAttempts: Math.min(intAttribute(node, 'maxAttempts', 1, 1), 3),
    securityCode: boolAttribute(node, 'securityCode', true),
    postalCode: postal !== 'false',
    chargeAmount: chargeAmount && Number(chargeAmount) > 0 ? chargeAmount : undefined,
    currency: node.attributes.currency ?? 'usd',
    tokenType: tokenTypeOf(node),
    paymentConnector: node.attributes.paymentConnector ?? 'Default',
    description: node.attributes.description,
    validCardTypes: (node.attributes.validCardTypes ?? 'visa mastercard amex').split(/\s+/).filter(Boolean),
    prompts,
    retryPrompts,
  };
}

function verbOf(node: XmlNode): Verb {
  switch (node.name) {
    case 'Say':
    case 'Play':
    case 'Pause':
      return promptVerb(node, 'Response');
    case 'Gather':
      return gatherVerb(node);
    case 'Redirect': {
      const url = plainText(node).trim();
      if (!url) throw invalid('<Redirect> needs a URL');
      return { verb: 'Redirect', url, method: methodAttribute(node) };
    }
    case 'Hangup':
      return { verb: 'Hangup' };
    case 'Reject': {
      const reason = node.attributes.reason ?? 'rejected';
      if (reason !== 'rejected' && reason !== 'busy') throw invalid(`<Reject reason="${reason}"> must be rejected or busy`);
      return { verb: 'Reject', reason };
    }
    case 'Pay':
      return payVerb(node);
    default:
      if (UNSUPPORTED_VERBS.has(node.name)) throw new CallFailure('unknown-verb', `<${node.name}> is a TwiML verb this simulator does not play`);
      throw new CallFailure('unknown-verb', `<${node.name}> is not a TwiML verb this simulator knows`);
  }
}

/** Parses and checks a TwiML document; throws CallFailure naming the first problem. */
export function parseTwimlDocument(xml: string): Verb[] {
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) throw invalid(`not well-formed XML (line ${wellFormed.err.line}: ${wellFormed.err.msg})`);
  const top = elements(toNodes(parser.parse(xml) as unknown[]).filter((n) => n.name !== '?xml'));
  if (top.length !== 1 || top[0]!.name !== 'Response') throw invalid(`the document must be one <Response>, found ${top.map((n) => `<${n.name}>`).join(', ') || 'nothing'}`);
  return elements(top[0]!.children).map(verbOf);
}
