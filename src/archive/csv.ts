import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export type CsvValue = string | number | boolean | undefined | null;

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. Values are kept exactly (no spreadsheet escaping). */
export const csvField = (value: CsvValue): string => {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

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
    const line = `${row.map(csvField).join(',')}\r\n`;
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

/** The records of a CSV file (header first), streamed: quoted fields may hold commas, quotes and line breaks. */
export async function* readCsv(path: string): AsyncGenerator<string[]> {
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
