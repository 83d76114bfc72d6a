import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * The one CSV writer of dialpass: every CSV it writes (the archive's ledger, redemptions and audit
 * files, the settlement CSVs, /admin/ledger.csv) goes through csvField, so none opens as a formula.
 *
 * OWASP's CSV injection guidance: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return is read by Excel, LibreOffice and Google Sheets as a formula (`=HYPERLINK(…)`,
 * `+1+cmd|' /C calc'!A0`, `@SUM(…)`, `-2+3+cmd|…`), and a spreadsheet may also see one after a
 * separator inside the cell. Such a text field is prefixed with a single quote and wrapped in
 * double quotes (inner quotes doubled), which spreadsheets show as text. The full-width forms
 * (`＝＋－＠`) some spreadsheets take as the same are treated alike. A text field that itself starts
 * with `'` gets one more, so readCsv gives back exactly what was written (`'` stripped once).
 * Numbers (finite JavaScript numbers, e.g. amounts, -300) are written as numbers: a number is not
 * a formula. Every other field follows RFC 4180 (quoted when it holds a comma, quote or line break).
 */
export type CsvValue = string | number | boolean | undefined | null;

const FORMULA_START = /^[=+\-@\t\r＝＋－＠']/;

export const csvField = (value: CsvValue): string => {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== String(value) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** One CSV line (CRLF, as RFC 4180 and spreadsheets expect). */
export const csvLine = (row: readonly CsvValue[]): string => `${row.map(csvField).join(',')}\r\n`;

/** A CSV file written in 64 KB chunks; finish() fsyncs it, so the rows are on disk before anything is trimmed. */
export class CsvFile {
  private buffered: string[] = [];
  private size = 0;
  rows = 0;
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string, header: readonly string[]): Promise<CsvFile> {
    const file = new CsvFile(path, await open(path, 'wx'));
    file.push(header);
    return file;
  }

  private push(row: readonly CsvValue[]): void {
    const line = csvLine(row);
    this.buffered.push(line);
    this.size += line.length;
  }

  async write(row: readonly CsvValue[]): Promise<void> {
    this.push(row);
    this.rows++;
    if (this.size >= 65_536) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffered.length === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    this.size = 0;
    await this.handle.write(text);
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
  }
}

/** A field as written by csvField, without the quote that kept it from being a formula. */
const unescaped = (field: string) => (field.startsWith("'") ? field.slice(1) : field);

/** The records of a CSV file csvField wrote (header first), streamed: quoted fields may hold commas, quotes and line breaks. */
export async function* readCsv(path: string): AsyncGenerator<string[]> {
  for await (const record of readRawCsv(path)) yield record.map(unescaped);
}

async function* readRawCsv(path: string): AsyncGenerator<string[]> {
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let quoteSeen = false;
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 65_536 })) {
    const text = chunk as string;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (quoted) {
        if (c === '"') {
          quoted = false;
          quoteSeen = true;
        } else field += c;
      } else if (c === '"') {
        // A doubled quote inside a quoted field: the first closed it, this one reopens it.
        if (quoteSeen) field += '"';
        quoted = true;
      } else if (c === ',') {
        record.push(field);
        field = '';
        quoteSeen = false;
      } else if (c === '\n') {
        record.push(field);
        yield record;
        record = [];
        field = '';
        quoteSeen = false;
      } else if (c !== '\r') {
        field += c;
        quoteSeen = false;
      }
    }
  }
  if (field !== '' || record.length) yield [...record, field];
}
