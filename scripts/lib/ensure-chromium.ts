import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { processEnv } from '../../src/config.ts';

/** Debian's Chromium: the browser tests drive this binary with playwright-core (no browser download). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export class MissingChromiumError extends Error {
  override name = 'MissingChromiumError';
}

const aptEnv = () => ({ ...processEnv(), DEBIAN_FRONTEND: 'noninteractive' });
// Other processes on the machine may hold the apt lock for a while; wait rather than fail.
const LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=600'];

/**
 * Returns the path of Chromium for the browser tests. When it is missing and we are root on a
 * Debian-like system, installs the `chromium` package; otherwise throws with the one line that
 * tells the user what to do. Never skips.
 */
export function ensureChromium(log: (line: string) => void = console.log): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (isRoot && hasApt) {
    log('dialpass: chromium is missing (the browser tests need it); installing the Debian package (apt-get install chromium)…');
    for (let attempt = 1; attempt <= 3 && !existsSync(CHROMIUM_PATH); attempt++) {
      const update = spawnSync('apt-get', [...LOCK_WAIT, 'update', '-qq'], { stdio: 'inherit', env: aptEnv() });
      if (update.status === 0) {
        spawnSync('apt-get', [...LOCK_WAIT, 'install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env: aptEnv() });
      }
      if (!existsSync(CHROMIUM_PATH)) spawnSync('sleep', ['5']);
    }
    if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  }
  throw new MissingChromiumError(
    `chromium not found at ${CHROMIUM_PATH}: install it (Debian/Ubuntu: sudo apt-get install chromium) and run the tests again.`,
  );
}
