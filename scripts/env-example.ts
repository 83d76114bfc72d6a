// npm run env:example: writes .env.example from the configuration schema (src/config.ts), so the
// example documents every key with the schema's own words and defaults.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderEnvExample } from './lib/env-example.ts';

const path = join(import.meta.dirname, '..', '.env.example');
writeFileSync(path, renderEnvExample());
console.log(`wrote ${path}`);
