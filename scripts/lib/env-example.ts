import { ENV_SCHEMA, type EnvKey } from '../../src/config.ts';

const WIDTH = 100;

/** A key's default as it would be written in the environment ('' when it has none). */
function defaultText(key: EnvKey): string {
  const parsed = ENV_SCHEMA.shape[key].safeParse(undefined);
  const value: unknown = parsed.success ? parsed.data : undefined;
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'object' ? `${item.host}:${item.port}` : String(item))).join(',');
  return String(value);
}

/** Wraps a description into `# ` comment lines of at most WIDTH characters. */
function comment(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/)) {
    if (line.length + 1 + word.length > WIDTH && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  return [...lines, line];
}

/** `.env.example` as the schema documents it: every key, its `.describe()`, its default. */
export function renderEnvExample(): string {
  const keys = Object.keys(ENV_SCHEMA.shape) as EnvKey[];
  const blocks = keys.map((key) => [...comment(ENV_SCHEMA.shape[key].description ?? ''), `${key}=${defaultText(key)}`].join('\n'));
  return `# dialpass configuration. Copy to .env and adjust; every key is optional in development.
# Values are checked at start: a wrong one stops the app with a message naming it.
# Written by \`npm run env:example\` from the schema in src/config.ts: change a key's text there.

${blocks.join('\n\n')}
`;
}
