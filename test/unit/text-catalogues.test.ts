import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { missingApiTranslations } from '../../src/http/api-text.ts';
import { MESSAGES, missingWebTranslations } from '../../src/web/messages.ts';
import { missingCatalogueTranslations } from '../../src/web/catalogue.ts';
import '../../src/accounts/text.ts';
import '../../src/admin/text.ts';
import '../../src/merchant-dashboard/text.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });

describe('text catalogues: one per surface, Japanese and English side by side', () => {
  it('every web page text has both languages, and a text with details takes the same ones in each', () => {
    expect(missingWebTranslations()).to.deep.equal([]);
    expect(Object.keys(MESSAGES.en).sort()).to.deep.equal(Object.keys(MESSAGES.ja).sort());
  });

  it("every page's own words (member history and card, operator console, merchant dashboard) have both languages", () => {
    expect(missingCatalogueTranslations()).to.deep.equal([]);
  });

  it('every API error message has both languages', () => {
    expect(missingApiTranslations()).to.deep.equal([]);
  });

  it('no Japanese text is written in src/ outside the catalogues (voice text lives in voice-flows/)', () => {
    // The web and API catalogues, and a page's own words in a text.ts beside it (src/web/catalogue.ts).
    // And the words callers say (src/speech/vocabulary.ts): what recognisers write, never something said to a caller.
    const catalogues = ['src/web/messages.ts', 'src/http/api-text.ts', 'src/speech/vocabulary.ts'];
    const isCatalogue = (file: string) => catalogues.includes(relative(ROOT, file)) || file.endsWith('/text.ts');
    const strings = /'[^'\n]*'|"[^"\n]*"|`[^`\n]*`/g;
    const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;
    const found = sourceFiles(join(ROOT, 'src'))
      .filter((file) => !isCatalogue(file))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, i) => ({ line: line.replace(/\/\/.*$/, ''), at: `${relative(ROOT, file)}:${i + 1}` }))
          .filter(({ line }) => !/^\s*(\*|\/\*)/.test(line) && (line.match(strings) ?? []).some((text) => japanese.test(text)))
          .map(({ at }) => at),
      );
    expect(found).to.deep.equal([]);
  });
});
