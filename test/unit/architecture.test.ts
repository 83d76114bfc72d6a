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

describe('how the code is put together', () => {
  it('no import cycles in src/ or scripts/ (type-only imports aside, as they vanish at run time)', () => {
    const files = [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'scripts'))];
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const imports = [...readFileSync(file, 'utf8').matchAll(/^import\s+(?!type\b)[^'"]*from\s+'(\.[^']+)'/gm)].map((m) => resolve(dirname(file), m[1]!));
      graph.set(file, imports);
    }
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

  it('one table maps every call step path to its step, and every path it names has a step', () => {
    expect(Object.keys(CALL_FLOW).sort()).to.deep.equal(Object.values(PATHS).sort());
    for (const step of Object.values(CALL_FLOW)) expect(step).to.be.a('function');
  });
});
