import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { hasValidCheckDigit } from '../../src/identifiers/damm.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Lengths of dialpass identifiers: merchant and request numbers 8, formal ID 9, provisional ID 11, payment code 16. */
const ID_LENGTHS = new Set([8, 9, 11, 16]);

describe('README and docs a newcomer copies from', () => {
  it('every example ID passes its check digit, as a real one would (written whole, in groups, or digit by digit)', () => {
    const wrong: string[] = [];
    for (const file of DOCS) {
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // Test card numbers follow Luhn, not Damm, and a fuzzer's seed is no ID; phone numbers start with +.
          if (/card|カード|seed/i.test(line)) return;
          const candidates = [
            ...line.matchAll(/(?<![+\d])\d{8,16}(?!\d)/g),
            ...line.matchAll(/(?<![+\d ])\d{3,4}(?:[ -]\d{3,4}){2,3}(?![\d])/g),
            ...line.matchAll(/(?<!\d )\d(?:,? \d){7,15}(?! \d)/g),
          ].map((m) => m[0].replace(/[^\d]/g, ''));
          for (const id of candidates) if (ID_LENGTHS.has(id.length) && !hasValidCheckDigit(id)) wrong.push(`${file}:${i + 1}: ${id}`);
        });
    }
    expect(wrong).to.deep.equal([]);
  });

  it('every link in README and docs resolves to a file inside the repository', () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const path = resolve(ROOT, dirname(file), target!.split('#')[0]!);
        if (!path.startsWith(ROOT + '/') || !existsSync(path)) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).to.deep.equal([]);
  });
});
