import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvFile, csvField, csvLine, readCsv } from '../../src/shared/csv.ts';
import { formulaCells } from '../support/spreadsheet.ts';

/** OWASP's CSV injection payloads and their cousins. */
const PAYLOADS = ['=HYPERLINK("http://evil.example","click")', "+1+cmd|' /C calc'!A0", '@SUM(1+1)*cmd|A0', "-2+3+cmd|' /C calc'!A0", '\t=1+1', '\r=1+1', '＝1+1', '+81901234567', "'=1+1", '-'];

describe('the one CSV writer (src/shared/csv.ts)', () => {
  it('no text cell opens as a formula in a spreadsheet: =, +, -, @, tab and CR starts are quoted as text; numbers stay numbers', () => {
    const text = PAYLOADS.map((p) => csvLine([p, -300, 12, 'plain'])).join('');
    expect(formulaCells(text)).to.deep.equal([]);
    expect(csvField('=1+1')).to.equal(`"'=1+1"`);
    expect(csvField(-300)).to.equal('-300');
    expect(csvField('-300'), 'text that looks like a number is still text').to.equal(`"'-300"`);
    expect(csvField('plain, with "quotes"')).to.equal('"plain, with ""quotes"""');
  });

  it('what the writer wrote, the reader gives back exactly, payloads included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dialpass-csv-'));
    try {
      const file = await CsvFile.create(join(dir, 'x.csv'), ['value', 'n']);
      for (const p of PAYLOADS) await file.write([p, -5]);
      await file.finish();
      expect(formulaCells(readFileSync(join(dir, 'x.csv'), 'utf8'))).to.deep.equal([]);
      const rows: string[][] = [];
      for await (const row of readCsv(join(dir, 'x.csv'))) rows.push(row);
      expect(rows).to.deep.equal([['value', 'n'], ...PAYLOADS.map((p) => [p, '-5'])]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
