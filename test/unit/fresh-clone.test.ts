import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

describe('a fresh clone', () => {
  it('every npm script that runs TypeScript installs the dependencies first (no `tsx: not found` on a fresh clone)', () => {
    const { scripts } = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const needTsx = Object.entries(scripts).filter(([name, command]) => !name.startsWith('pre') && /(^|\s)(tsx|--import tsx)(\s|$)/.test(command));
    expect(needTsx.length).to.be.above(5);
    const unprepared = needTsx.filter(([name]) => scripts[`pre${name}`] !== 'node scripts/ensure-deps.mjs').map(([name]) => name);
    expect(unprepared).to.deep.equal([]);
  });
});

describe('a new operator reads what the code does', () => {
  it('.env.example and docs/PERFORMANCE.md describe password hashing as argon2id, not the scrypt it replaced', () => {
    expect(readFileSync(resolve(ROOT, '.env.example'), 'utf8')).to.not.match(/scrypt/i);
    const performance = readFileSync(resolve(ROOT, 'docs/PERFORMANCE.md'), 'utf8');
    expect(performance).to.not.match(/\*\*Login\*\* is bound by scrypt/);
    expect(performance).to.match(/hashed with argon2id/);
  });
});
