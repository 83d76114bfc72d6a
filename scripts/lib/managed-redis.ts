import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';

const SEARCH_PATH = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/opt/homebrew/bin'];

function which(binary: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  return SEARCH_PATH.map((dir) => join(dir, binary)).find((candidate) => existsSync(candidate));
}

export class MissingRedisError extends Error {
  override name = 'MissingRedisError';
}

/**
 * Finds redis-server; installs Debian's package when it is missing and we are root.
 * Otherwise throws with the one line that tells the user what to do.
 */
export function ensureRedisServer(log: (line: string) => void = console.log): string {
  const existing = which('redis-server');
  if (existing) return existing;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && which('apt-get')) {
    log('dialpass: redis-server is missing; installing the Debian package (apt-get install redis-server)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'inherit', env }) : update;
    const installed = which('redis-server');
    if (install.status === 0 && installed) {
      // The package starts a system-wide instance we do not use.
      spawnSync('sh', ['-c', 'service redis-server stop >/dev/null 2>&1 || true']);
      return installed;
    }
  }
  throw new MissingRedisError(
    'redis-server not found: install it (Debian/Ubuntu: sudo apt-get install redis-server, macOS: brew install redis) or set REDIS_URL.',
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ManagedRedis {
  url: string;
  port: number;
  /** Kills the server at once (fault tests: SIGKILL, nothing flushed beyond what AOF already has). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface ManagedRedisOptions {
  /** Directory for data; persistent runs keep an append-only file there. Default: a temporary folder removed on stop. */
  dataDir?: string;
  persistent?: boolean;
  /** With persistent: 'always' fsyncs every write (fault tests that kill Redis); default everysec. */
  appendfsync?: 'always' | 'everysec';
  /** Listen on this port (a restart after a kill keeps its address); default a free one. */
  port?: number;
  log?: (line: string) => void;
}

/** Starts a private redis-server on a free loopback port and stops it when this process ends. */
export async function startManagedRedis(options: ManagedRedisOptions = {}): Promise<ManagedRedis> {
  const log = options.log ?? console.log;
  const binary = ensureRedisServer(log);
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'dialpass-redis-'));
  mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dataDir,
    '--daemonize', 'no',
    '--protected-mode', 'yes',
    '--save', '',
    '--appendonly', options.persistent ? 'yes' : 'no',
    '--appendfsync', options.appendfsync ?? 'everysec',
    '--loglevel', 'warning',
  ];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
    child.once('error', reject);
  });
  // redis-server at loglevel warning still prints "Ready to accept connections"; poll as a fallback.
  const polled = (async () => {
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const ping = spawnSync(binary.replace(/redis-server$/, 'redis-cli'), ['-p', String(port), 'ping'], { encoding: 'utf8' });
      if (ping.stdout?.trim() === 'PONG') return;
    }
    throw new Error(`redis-server did not answer on port ${port}:\n${output}`);
  })();
  await Promise.race([ready, polled]);

  const kill = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', kill);
  let stopped = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      stopped = true;
      process.removeListener('exit', kill);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        await exited;
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', kill);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
