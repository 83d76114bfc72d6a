/**
 * A page's own words, Japanese and English side by side in a `text.ts` beside the page (the
 * member history, the operator console, the merchant dashboard). The type makes the English
 * have exactly the Japanese entries; `missingCatalogueTranslations` (run by createApp at start
 * and by a unit test) finds an empty text or a text that takes other details in one language.
 */
type Words = { [key: string]: string | ((...details: never[]) => string) | Words };

const catalogues = new Map<string, { ja: Words; en: Words }>();

export function catalogue<T extends Words>(name: string, words: { ja: T; en: NoInfer<T> }): { ja: T; en: T } {
  catalogues.set(name, words);
  return words;
}

function missingIn(path: string, ja: Words[string], en: Words[string] | undefined): string[] {
  if (typeof ja === 'object') {
    if (typeof en !== 'object') return [`${path}.en`];
    const keys = new Set([...Object.keys(ja), ...Object.keys(en)]);
    return [...keys].flatMap((key) => missingIn(`${path}.${key}`, ja[key] ?? '', en[key]));
  }
  const sample = (text: Words[string] | undefined, arity: number) =>
    typeof text === 'function' ? String((text as (...details: string[]) => string)(...Array<string>(arity).fill('1'))) : String(text ?? '');
  const arity = typeof ja === 'function' ? ja.length : 0;
  if (typeof en === 'function' && en.length !== arity) return [`${path} (details differ)`];
  return [sample(ja, arity).trim() ? [] : [`${path}.ja`], sample(en, arity).trim() ? [] : [`${path}.en`]].flat();
}

/** Every empty or mismatched text in the pages' own catalogues. */
export function missingCatalogueTranslations(): string[] {
  return [...catalogues].flatMap(([name, words]) => missingIn(name, words.ja, words.en));
}
