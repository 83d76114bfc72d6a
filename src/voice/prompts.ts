import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LOCALES, type Locale } from '../config.ts';
import type { Speech, SpeechPart, VoiceSettings } from './twiml.ts';

/**
 * What the code says, by flow and prompt, with the placeholders it fills in. The words live in
 * `voice-flows/<flow>.json`; this catalogue is what the files are checked against at start, so
 * an operator's typo in a placeholder or a missing translation stops the app with a clear message.
 */
export const PROMPT_CATALOGUE = {
  common: {
    goodbye: [],
    apology: [],
    tooManyWrongEntries: [],
    lineBlocked: [],
    noInput: [],
    noInputGoodbye: [],
    withheldNumber: ['prefix'],
    stepExpired: [],
    fallback: [],
  },
  'main-menu': {
    welcome: [],
    otherLanguage: [],
    menu: [],
    invalidChoice: [],
    unavailable: [],
    otherLanguageAtGreeting: [],
    firstCall: [],
  },
  activation: {
    askProvisionalId: [],
    mistyped: [],
    unknownOrExpired: ['hours'],
    alreadyActivated: [],
    activated: ['amount', 'formalId'],
    accessUntil: ['date'],
    afterFormalId: [],
    formalIdAgain: ['formalId'],
    activatedFromThisLine: ['formalId'],
  },
  'sign-in': {
    askFormalId: [],
    askPin: [],
    mistyped: [],
    unknownFormalId: [],
    noPinSet: [],
    wrongPin: [],
    pinLocked: [],
  },
  renewal: {
    confirm: ['days', 'amount'],
    confirmChoices: [],
    renewed: ['amount', 'date'],
    alreadyRenewed: ['date'],
    cancelled: [],
    unheardRenewed: ['date'],
  },
  'payment-code': {
    amountOption: ['amount', 'key'],
    amountOneMerchant: [],
    amountMenuEnd: [],
    askMerchant: [],
    mistypedMerchant: [],
    unknownMerchant: [],
    confirmAnyMerchant: ['amount'],
    confirmOneMerchant: ['amount', 'merchant'],
    confirmChoices: [],
    confirmAnyMerchantKeptCard: ['amount', 'lastFour'],
    confirmOneMerchantKeptCard: ['amount', 'merchant', 'lastFour'],
    cancelled: [],
    capExceeded: ['cap', 'remaining'],
    issued: ['amount', 'code', 'date'],
    onlyAtMerchant: ['merchant'],
    codeAgain: ['code', 'amount', 'date'],
    afterCode: [],
    sentBySms: [],
    smsText: ['amount', 'code', 'date'],
    codeNumbersIntro: [],
    codeNumberOption: ['amount', 'number'],
    codeNumbersEnd: [],
    unheardCode: ['amount', 'code', 'date'],
  },
  charging: {
    beforePremiumRate: [],
    afterPremiumRate: ['amount'],
    beforeCard: [],
    beforeKeptCard: ['lastFour'],
    afterCard: ['lastFour'],
    beforeNone: [],
    afterNone: [],
    demoCallBilled: ['amount'],
    demoCallBilledPerMinute: ['amount'],
    beforeCarrierBilling: [],
    afterCarrierBilling: [],
    carrierNotCharged: [],
    notCharged: [],
    cardNotCharged: [],
    callStillBilled: ['amount'],
    callStillBilledPerMinute: ['amount'],
    soldElsewhere: ['amount', 'number'],
    soldNowhere: ['amount'],
    callPaid: [],
  },
  card: {
    askCardNumber: [],
    askExpirationDate: [],
    askSecurityCode: [],
    retryCardNumber: [],
    retryExpirationDate: [],
    retrySecurityCode: [],
    askPostalCode: [],
    retryPostalCode: [],
    processing: [],
    keepCard: [],
    keptCardDeclined: ['lastFour'],
    authenticationNeeded: [],
    outcomeUnknown: [],
    consentActivation: ['amount'],
    declined: [],
    cancelled: [],
    notEntered: [],
    failed: [],
    hungUp: [],
    chargedButNotDone: [],
  },
  'carrier-billing': {
    consentActivation: ['amount'],
    cancelled: [],
    askCode: [],
    wrongCode: [],
    declined: [],
    notAvailable: [],
    failed: [],
    outcomeUnknown: [],
    chargedButNotDone: [],
  },
  speech: {
    readBack: ['digits'],
    notUnderstood: [],
    tryAgain: [],
    useKeypad: [],
    askPinKeysOnly: [],
    askProvisionalIdSpoken: [],
    youCanSpeak: [],
  },
  'payment-approval': {
    askNumber: [],
    mistypedNumber: [],
    unknownNumber: [],
    expired: [],
    alreadyDecided: [],
    confirm: ['merchant', 'amount', 'description'],
    confirmChoices: [],
    approved: ['amount', 'merchant'],
    declined: [],
    capExceeded: ['cap', 'remaining'],
    unheardApproved: ['amount', 'merchant'],
  },
} as const satisfies Record<string, Record<string, readonly string[]>>;

export type FlowName = keyof typeof PROMPT_CATALOGUE;
export type PromptKey<F extends FlowName> = keyof (typeof PROMPT_CATALOGUE)[F] & string;
type PlaceholderOf<F extends FlowName, K extends PromptKey<F>> = ((typeof PROMPT_CATALOGUE)[F][K] extends readonly (infer P)[]
  ? P
  : never) &
  string;
export type PromptValue = string | { digits: string; groupSize?: number | number[]; breakMs?: number };
export type PromptVars<F extends FlowName, K extends PromptKey<F>> = Record<PlaceholderOf<F, K>, PromptValue>;

const localizedText = z.strictObject({ 'ja-JP': z.string().min(1), 'en-US': z.string().min(1) });
const flowFile = z.strictObject({
  flow: z.string(),
  description: z.string(),
  voices: z.record(z.enum(LOCALES), z.strictObject({ voice: z.string().min(1), language: z.string().min(1) })).optional(),
  prompts: z.record(z.string(), localizedText),
});

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*)\}/g;
const placeholdersIn = (text: string) => [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);

type ParsedPrompt = (string | { placeholder: string })[];

export class VoiceFlowError extends Error {
  override name = 'VoiceFlowError';
}

export interface VoiceFlows {
  voices: Record<Locale, VoiceSettings>;
  say<F extends FlowName, K extends PromptKey<F>>(flow: F, key: K, locale: Locale, ...vars: PlaceholderOf<F, K> extends never ? [] : [PromptVars<F, K>]): Speech;
}

export const DEFAULT_FLOWS_DIR = new URL('../../voice-flows/', import.meta.url).pathname;

/** Loads and checks every flow file; throws VoiceFlowError listing every problem found. */
export function loadVoiceFlows(dir: string = DEFAULT_FLOWS_DIR): VoiceFlows {
  const problems: string[] = [];
  const prompts = new Map<string, ParsedPrompt>();
  let voices: Record<Locale, VoiceSettings> | undefined;
  const seen = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    let parsed: z.infer<typeof flowFile>;
    try {
      parsed = flowFile.parse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    } catch (error) {
      const detail = error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String(error);
      problems.push(`${file}: ${detail}`);
      continue;
    }
    if (`${parsed.flow}.json` !== file) problems.push(`${file}: "flow" must be "${file.replace(/\.json$/, '')}"`);
    seen.add(parsed.flow);
    if (parsed.voices) voices = parsed.voices as Record<Locale, VoiceSettings>;
    const catalogue = (PROMPT_CATALOGUE as Record<string, Record<string, readonly string[]>>)[parsed.flow];
    if (!catalogue) {
      problems.push(`${file}: no flow called "${parsed.flow}" in the code`);
      continue;
    }
    for (const [key, allowed] of Object.entries(catalogue)) {
      const texts = parsed.prompts[key];
      if (!texts) {
        problems.push(`${file}: prompt "${key}" is missing`);
        continue;
      }
      for (const locale of LOCALES) {
        const unknown = placeholdersIn(texts[locale]).filter((p) => !allowed.includes(p));
        if (unknown.length) problems.push(`${file}: ${key} (${locale}) uses {${unknown.join('}, {')}}; allowed: ${allowed.map((a) => `{${a}}`).join(', ') || 'none'}`);
        prompts.set(`${parsed.flow}/${key}/${locale}`, parsePrompt(texts[locale]));
      }
    }
    for (const key of Object.keys(parsed.prompts)) {
      if (!(key in catalogue)) problems.push(`${file}: prompt "${key}" is not used by the code (misspelt?)`);
    }
  }
  for (const flow of Object.keys(PROMPT_CATALOGUE)) if (!seen.has(flow)) problems.push(`${flow}.json is missing`);
  if (!voices) problems.push('common.json: "voices" must name a voice for ja-JP and en-US');
  else for (const locale of LOCALES) if (!voices[locale]) problems.push(`common.json: voices.${locale} is missing`);
  if (problems.length) throw new VoiceFlowError(`voice-flows in ${dir} are not valid:\n  ${problems.join('\n  ')}`);

  return {
    voices: voices!,
    say(flow, key, locale, ...rest) {
      const vars = (rest[0] ?? {}) as Record<string, PromptValue>;
      const parts = prompts.get(`${flow}/${String(key)}/${locale}`)!;
      const speech: SpeechPart[] = [];
      for (const part of parts) {
        if (typeof part === 'string') speech.push({ text: part });
        else {
          const value = vars[part.placeholder];
          if (value === undefined) throw new Error(`prompt ${flow}/${String(key)} needs {${part.placeholder}}`);
          speech.push(typeof value === 'string' ? { text: value } : value);
        }
      }
      return { locale, parts: speech };
    },
  };
}

function parsePrompt(text: string): ParsedPrompt {
  const parts: ParsedPrompt = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push({ placeholder: match[1]! });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}
