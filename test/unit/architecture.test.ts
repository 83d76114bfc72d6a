import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { CALL_FLOW } from '../../src/voice/call-flow.ts';
import { PATHS } from '../../src/voice/paths.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The relative imports of a file, resolved; with `typeOnly` false, `import type` lines are left out. */
function importsOf(file: string, typeOnly = true): string[] {
  const pattern = typeOnly ? /^import\s+[^'"]*from\s+'(\.[^']+)'/gm : /^import\s+(?!type\b)[^'"]*from\s+'(\.[^']+)'/gm;
  return [...readFileSync(file, 'utf8').matchAll(pattern)].map((m) => resolve(dirname(file), m[1]!));
}

/** `file imports target` lines for every import from `from` into a folder it must not reach. */
function importsInto(from: string, forbidden: string[]): string[] {
  return sourceFiles(join(ROOT, from)).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((dir) => target.startsWith(join(ROOT, dir) + '/')))
      .map((target) => `${relative(ROOT, file)} imports ${relative(ROOT, target)}`),
  );
}

describe('how the code is put together', () => {
  it('no import cycles in src/, simulator/ or scripts/ (type-only imports aside, as they vanish at run time)', () => {
    const files = ['src', 'simulator', 'scripts'].flatMap((dir) => sourceFiles(join(ROOT, dir)));
    const graph = new Map<string, string[]>();
    for (const file of files) graph.set(file, importsOf(file, false));
    const state = new Map<string, 'visiting' | 'done'>();
    const path: string[] = [];
    const cycles: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'visiting');
      path.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'visiting') cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(ROOT, f)).join(' → '));
        else if (!state.has(next)) visit(next);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).to.deep.equal([]);
  });

  it('the bench (scripts/lib/bench/) has no import cycle, not even through type-only imports, so each file reads on its own', () => {
    const files = sourceFiles(join(ROOT, 'scripts/lib/bench'));
    const graph = new Map(files.map((file) => [file, importsOf(file, true).map((target) => (target.endsWith('.ts') ? target : `${target}.ts`))]));
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'visiting');
      path.push(file);
      for (const next of graph.get(file) ?? []) {
        if (!graph.has(next)) continue;
        if (state.get(next) === 'visiting') cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(ROOT, f)).join(' → '));
        else if (!state.has(next)) visit(next);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).to.deep.equal([]);
  });

  it('src/ is the product alone: it imports nothing from the simulator, scripts or tests', () => {
    expect(importsInto('src', ['simulator', 'scripts', 'test'])).to.deep.equal([]);
  });

  it('the simulator reaches the product only over HTTP: it imports nothing from src/', () => {
    expect(importsInto('simulator', ['src', 'scripts', 'test'])).to.deep.equal([]);
  });

  it('features depend one way, as docs/ARCHITECTURE.md draws them (merchants never on payments, the foundations on no feature)', () => {
    // Each folder of src/ and the folders it may import from, beside the files at src/'s root.
    const FOUNDATION = ['http', 'store', 'shared', 'identifiers'];
    const MAY_IMPORT: Record<string, string[]> = {
      http: [],
      store: [],
      shared: [],
      identifiers: [],
      // Spoken numbers and words (what Twilio's SpeechResult says) to digits and choices: text in, text out.
      speech: [],
      web: ['http', 'store', 'shared', 'charging'],
      // Metrics and the operator's audit trail: every feature records into them, they know no feature.
      observability: FOUNDATION,
      // How each kind of charge is collected (methods, premium-rate tariffs), cap holds, the card processor.
      charging: FOUNDATION,
      accounts: [...FOUNDATION, 'charging', 'web', 'observability'],
      registration: [...FOUNDATION, 'charging', 'web', 'accounts', 'observability'],
      merchants: [...FOUNDATION, 'web', 'observability'],
      // A payment charges a member: code purchases and approvals book through the one charge primitive in accounts/ledger.ts.
      payments: [...FOUNDATION, 'charging', 'merchants', 'accounts', 'observability'],
      voice: [...FOUNDATION, 'speech', 'charging', 'accounts', 'registration', 'merchants', 'payments', 'observability'],
      // The merchant's pages read merchants and payments; neither reads them.
      'merchant-dashboard': [...FOUNDATION, 'charging', 'web', 'observability', 'accounts', 'merchants', 'payments'],
      // The premium-rate carrier's statement against the ledger (npm run carrier:reconcile).
      carrier: [...FOUNDATION, 'charging', 'accounts'],
      // Retention: old ledger entries, redemption records and audit events to CSV, then trimmed (npm run archive).
      archive: [...FOUNDATION, 'charging', 'accounts'],
      // The operator's console reads every feature; no feature reads it.
      admin: [...FOUNDATION, 'charging', 'web', 'observability', 'accounts', 'registration', 'merchants', 'payments', 'merchant-dashboard'],
    };
    const folders = readdirSync(join(ROOT, 'src')).filter((name) => statSync(join(ROOT, 'src', name)).isDirectory());
    expect(folders.sort()).to.deep.equal(Object.keys(MAY_IMPORT).sort());
    const wrong = folders.flatMap((folder) => {
      const allowed = [folder, ...MAY_IMPORT[folder]!].map((dir) => join(ROOT, 'src', dir) + '/');
      return sourceFiles(join(ROOT, 'src', folder)).flatMap((file) =>
        importsOf(file)
          .filter((target) => dirname(target) !== join(ROOT, 'src') && !allowed.some((dir) => target.startsWith(dir)))
          .map((target) => `${relative(ROOT, file)} imports ${relative(ROOT, target)}`),
      );
    });
    expect(wrong).to.deep.equal([]);
  });

  it('shared pieces are defined once: CoreDeps in src/deps.ts, the HTTP error helpers in src/http', () => {
    const repeatsCoreDeps: string[] = [];
    const errorHelpersElsewhere: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const [body] of text.matchAll(/interface \w+[^{]*\{[^}]*\}/g)) {
        if (/\bconfig: Config;/.test(body) && /\bredis: RedisClient;/.test(body) && /\bnow: \(\) => number;/.test(body) && !file.endsWith('src/deps.ts')) repeatsCoreDeps.push(relative(ROOT, file));
      }
      if (/export (function|const) (invalidInput|errorBody|jsonErrorHandler|jsonNotFound)\b/.test(text) && !file.includes('/src/http/')) errorHelpersElsewhere.push(relative(ROOT, file));
    }
    expect(repeatsCoreDeps).to.deep.equal([]);
    expect(errorHelpersElsewhere).to.deep.equal([]);
  });

  it('every CSV the product writes goes through the one writer (src/shared/csv.ts): no hand-joined CSV lines, no own quoting', () => {
    const handWritten: string[] = [];
    for (const file of [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'scripts'))]) {
      if (file.endsWith('src/shared/csv.ts')) continue;
      const text = readFileSync(file, 'utf8');
      // A line joined by commas and ended with CRLF, or a field quoted by hand, is a CSV writer of its own.
      if (/join\(','\)[^\n]*\\r\\n|\.replace\(\/"\/g, '""'\)/.test(text)) handWritten.push(relative(ROOT, file));
    }
    expect(handWritten).to.deep.equal([]);
  });

  it('one table maps every call step path to its step, and every path it names has a step', () => {
    expect(Object.keys(CALL_FLOW).sort()).to.deep.equal(Object.values(PATHS).sort());
    for (const step of Object.values(CALL_FLOW)) expect(step).to.be.a('function');
  });

  it('only the call-step table imports the step files: steps never import or register each other', () => {
    const table = join(ROOT, 'src/voice/call-flow.ts');
    const stepFiles = importsOf(table, false).filter((file) => !/\/(paths|voice-step)\.ts$/.test(file));
    expect(stepFiles).to.have.length.above(4);
    const others = sourceFiles(join(ROOT, 'src')).filter((file) => file !== table);
    const reaching = others.flatMap((file) => importsOf(file).filter((target) => stepFiles.includes(target)).map((target) => `${relative(ROOT, file)} imports ${relative(ROOT, target)}`));
    expect(reaching).to.deep.equal([]);
  });
});
