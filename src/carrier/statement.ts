import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';

/**
 * One call on the carrier's monthly statement (CHARGE_METHOD=premium-rate): what the carrier
 * billed the caller. The default CSV (docs/CHARGING.md) has a header line and the columns
 * call_start, calling_number, amount and, optionally, called_number, duration_seconds, currency;
 * any other shape is read through a column-mapping file (--mapping).
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
}

export const DEFAULT_COLUMNS = {
  callStart: 'call_start',
  callingNumber: 'calling_number',
  calledNumber: 'called_number',
  durationSeconds: 'duration_seconds',
  amount: 'amount',
  currency: 'currency',
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
const OPTIONAL_FIELDS: ReadonlySet<string> = new Set(['calledNumber', 'durationSeconds', 'currency']);

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

/** Reads a carrier statement line by line (never the whole file at once). */
export async function* readStatement(path: string, mapping: StatementMapping = defaultMapping()): AsyncGenerator<CarrierRecord> {
  try {
    yield* readStatementLines(path, mapping);
  } catch (error) {
    if (error instanceof StatementError || !(error as NodeJS.ErrnoException).code) throw error;
    throw unreadable(path, error);
  }
}

async function* readStatementLines(path: string, mapping: StatementMapping): AsyncGenerator<CarrierRecord> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
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
    const amount = Number(at('amount').replace(/[,¥￥]/g, ''));
    if (!Number.isFinite(startMs) || !Number.isFinite(amount) || at('callingNumber') === '') {
      throw new StatementError(`${path}:${lineNumber}: cannot read the call start, calling number or amount`);
    }
    const durationSeconds = Number(at('durationSeconds') || 0);
    if (!(durationSeconds >= 0)) throw new StatementError(`${path}:${lineNumber}: cannot read the duration "${at('durationSeconds')}" (seconds)`);
    yield {
      line: lineNumber,
      startMs,
      callingNumber: normaliseNumber(at('callingNumber'), mapping.countryCode),
      calledNumber: at('calledNumber'),
      durationSeconds,
      amount,
      currency: at('currency') || mapping.currency,
    };
  }
  if (!header) throw new StatementError(`${path}: the file is empty; its first line must name the columns (docs/CHARGING.md)`);
}
