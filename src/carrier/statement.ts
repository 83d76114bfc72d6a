import { createReadStream, readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * One line of the carrier's monthly statement: what the carrier billed the caller, for a call to a
 * premium-rate number or for a carrier-billing payment. The default CSV (docs/CHARGING.md) has a
 * header line and the columns call_start, calling_number, amount and, optionally, called_number,
 * duration_seconds, currency, reference; any other shape is read through a column-mapping file
 * (--mapping).
 */
export interface CarrierRecord {
  /** 1-based line in the file, to point the operator at it. */
  line: number;
  startMs: number;
  callingNumber: string;
  calledNumber: string;
  durationSeconds: number;
  amount: number;
  currency: string;
  /**
   * A carrier-billing payment: the operator's paymentId or the serverReferenceCode dialpass sent
   * with it (CAMARA Carrier Billing). '' on a premium-rate call, matched by number and time instead.
   */
  reference: string;
}

export const DEFAULT_COLUMNS = {
  callStart: 'call_start',
  callingNumber: 'calling_number',
  calledNumber: 'called_number',
  durationSeconds: 'duration_seconds',
  amount: 'amount',
  currency: 'currency',
  reference: 'reference',
} as const;

/** A column-mapping file: which header names hold each field, and how the carrier writes them. */
export const mappingSchema = z.strictObject({
  columns: z
    .strictObject({
      callStart: z.string().min(1),
      callingNumber: z.string().min(1),
      calledNumber: z.string().min(1).optional(),
      durationSeconds: z.string().min(1).optional(),
      amount: z.string().min(1),
      currency: z.string().min(1).optional(),
      reference: z.string().min(1).optional(),
    })
    .describe('header name of each field in the carrier file'),
  delimiter: z.string().length(1).default(',').describe('field separator: "," or ";" or "\\t"'),
  /** National numbers (090…) become +<countryCode>90…, so they compare with the E.164 numbers Twilio gives. */
  countryCode: z
    .string()
    .regex(/^\d{1,3}$/)
    .default('81')
    .describe('country code for numbers written nationally (leading 0)'),
  /** The carrier's times without an offset are in this offset (e.g. +09:00). */
  utcOffset: z
    .string()
    .regex(/^[+-]\d{2}:\d{2}$/)
    .default('+09:00')
    .describe('offset of times written without one'),
  currency: z.string().regex(/^[A-Z]{3}$/).default('JPY').describe('currency when the file has no currency column'),
});
export type StatementMapping = z.infer<typeof mappingSchema>;

export const defaultMapping = (): StatementMapping => mappingSchema.parse({ columns: DEFAULT_COLUMNS });

export class StatementError extends Error {
  override name = 'StatementError';
}

/** Fields a statement may lack: the carrier's file need not have these columns (docs/CHARGING.md). */
const OPTIONAL_FIELDS: ReadonlySet<string> = new Set(['calledNumber', 'durationSeconds', 'currency', 'reference']);

/** A file the operator named that cannot be read, as one line (no stack trace). */
function unreadable(path: string, error: unknown): StatementError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'not allowed to read it' : (error as Error).message;
  return new StatementError(`${path}: cannot read the file (${why})`);
}

export function loadMapping(path: string): StatementMapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw unreadable(path, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StatementError(`${path}: not JSON (${(error as Error).message})`);
  }
  const parsed = mappingSchema.safeParse(json);
  if (!parsed.success) throw new StatementError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Splits one CSV line (RFC 4180 quotes: "a, b" and "" for a quote). */
export function splitCsvLine(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}

/** A calling number as E.164 (+8190…), from E.164, 00-international or national (0…) writing. */
export function normaliseNumber(raw: string, countryCode: string): string {
  const digits = raw.replace(/[\s().-]/g, '');
  if (digits.startsWith('+')) return digits;
  if (digits.startsWith('00')) return `+${digits.slice(2)}`;
  if (digits.startsWith('0')) return `+${countryCode}${digits.slice(1)}`;
  return digits;
}

function parseTime(raw: string, utcOffset: string): number {
  const value = raw.trim();
  if (/^\d{10,13}$/.test(value)) return value.length === 13 ? Number(value) : Number(value) * 1000;
  // "2026-12-01 09:15:02" or "2026/12/01 09:15:02" without an offset: the carrier's local time.
  const local = /^(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (local) return Date.parse(`${local[1]}-${local[2]}-${local[3]}T${local[4]}:${local[5]}:${local[6] ?? '00'}${utcOffset}`);
  return Date.parse(value);
}

/**
 * What a statement may be. A carrier line is under 200 bytes; a line longer than maxLineBytes is
 * not a statement line (and readline would hold all of it in memory: a 150 MB line ended in a V8
 * out-of-memory abort), so reading stops there. maxBytes bounds the whole file (a month of a busy
 * line is a few hundred MB at most).
 */
export interface StatementLimits {
  maxLineBytes: number;
  maxBytes: number;
}
export const DEFAULT_LIMITS: StatementLimits = { maxLineBytes: 4096, maxBytes: 2 * 1024 ** 3 };

/**
 * An amount as the carrier bills it: a whole number of the currency's minor unit (yen), digits
 * only, optionally grouped with commas and led by a yen sign. No sign, no decimals, no exponent,
 * no hex, never empty; at most 10 digits, so a month of them adds up exactly in a double.
 */
const AMOUNT = /^[¥￥]?(?:\d{1,10}|\d{1,3}(?:,\d{3}){1,3})$/;
export function parseAmount(raw: string): number | undefined {
  const value = raw.trim();
  if (!AMOUNT.test(value)) return undefined;
  const amount = Number(value.replace(/[,¥￥]/g, ''));
  return Number.isSafeInteger(amount) && amount <= 9_999_999_999 ? amount : undefined;
}

/**
 * The lines of a file, split on \n (a \r before it dropped), never holding more than
 * maxLineBytes of one line nor reading past maxBytes: either throws a StatementError naming the
 * line. Bytes are decoded as UTF-8 per complete line, so a character split across chunks is whole.
 */
async function* limitedLines(path: string, limits: StatementLimits): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  let lineNumber = 1;
  const tooLong = () => new StatementError(`${path}:${lineNumber}: line longer than ${limits.maxLineBytes} bytes; not a carrier statement (or a broken one)`);
  const lineOf = (last: Buffer) => {
    const bytes = pending.length ? Buffer.concat([...pending, last]) : last;
    pending = [];
    pendingBytes = 0;
    const text = bytes.toString('utf8');
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limits.maxBytes) throw new StatementError(`${path}: larger than ${limits.maxBytes} bytes; split the statement by period (--from/--to)`);
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (pendingBytes + nl - start > limits.maxLineBytes + 1) throw tooLong();
      yield lineOf(chunk.subarray(start, nl));
      lineNumber++;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pendingBytes += chunk.length - start;
      if (pendingBytes > limits.maxLineBytes + 1) throw tooLong();
      pending.push(chunk.subarray(start));
    }
  }
  if (pendingBytes > 0) yield lineOf(Buffer.alloc(0));
}

/** Reads a carrier statement line by line (never the whole file, nor a whole over-long line, at once). */
export async function* readStatement(path: string, mapping: StatementMapping = defaultMapping(), limits: StatementLimits = DEFAULT_LIMITS): AsyncGenerator<CarrierRecord> {
  try {
    yield* readStatementLines(path, mapping, limits);
  } catch (error) {
    if (error instanceof StatementError || !(error as NodeJS.ErrnoException).code) throw error;
    throw unreadable(path, error);
  }
}

async function* readStatementLines(path: string, mapping: StatementMapping, limits: StatementLimits): AsyncGenerator<CarrierRecord> {
  const lines = limitedLines(path, limits);
  let header: string[] | undefined;
  let index: Record<keyof StatementMapping['columns'], number> | undefined;
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber++;
    const line = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line, mapping.delimiter);
    if (!header) {
      header = fields;
      const find = (name: string | undefined) => (name === undefined ? -1 : header!.indexOf(name));
      index = Object.fromEntries(Object.entries(mapping.columns).map(([k, name]) => [k, find(name)])) as typeof index;
      const missing = Object.entries(mapping.columns)
        .filter(([k]) => index![k as keyof typeof index] === -1 && !OPTIONAL_FIELDS.has(k))
        .map(([, name]) => name);
      if (missing.length) throw new StatementError(`${path}: no column ${missing.map((m) => `"${m}"`).join(', ')} in the header line (${header.join(', ')}); see --mapping`);
      continue;
    }
    const at = (k: keyof StatementMapping['columns']) => (index![k] >= 0 ? (fields[index![k]] ?? '') : '');
    const startMs = parseTime(at('callStart'), mapping.utcOffset);
    if (!Number.isFinite(startMs) || at('callingNumber') === '') {
      throw new StatementError(`${path}:${lineNumber}: cannot read the call start or calling number`);
    }
    const amount = parseAmount(at('amount'));
    if (amount === undefined) {
      throw new StatementError(`${path}:${lineNumber}: cannot read the amount "${at('amount').slice(0, 40)}" (a whole number of ${mapping.currency}'s minor unit, digits only: no sign, decimals, exponent or hex)`);
    }
    const durationSeconds = /^\d{1,9}$/.test(at('durationSeconds')) ? Number(at('durationSeconds')) : at('durationSeconds') === '' ? 0 : NaN;
    if (!(durationSeconds >= 0)) throw new StatementError(`${path}:${lineNumber}: cannot read the duration "${at('durationSeconds')}" (seconds)`);
    yield {
      line: lineNumber,
      startMs,
      callingNumber: normaliseNumber(at('callingNumber'), mapping.countryCode),
      calledNumber: at('calledNumber'),
      durationSeconds,
      amount,
      currency: at('currency') || mapping.currency,
      reference: at('reference'),
    };
  }
  if (!header) throw new StatementError(`${path}: the file is empty; its first line must name the columns (docs/CHARGING.md)`);
}
