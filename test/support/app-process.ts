import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { freePort } from '../../scripts/lib/managed-redis.ts';
import { processEnv } from '../../src/config.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const tsx = createRequire(import.meta.url).resolve('tsx');

export interface AppProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has ended, with when (performance.now()). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/**
 * Runs `npm start`'s entry (scripts/start.ts, as `npm start` runs it: node --import tsx) as a
 * child process with the given environment on top of the test's own, and waits until it says it
 * is running (or has ended, when `waitUntilRunning` is false).
 */
export async function startAppProcess(env: Record<string, string>, options: { waitUntilRunning?: boolean; timeoutMs?: number } = {}): Promise<AppProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, ['--import', tsx, 'scripts/start.ts'], {
    cwd: ROOT,
    env: { ...processEnv(), NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const kill = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  void exited.then(() => process.removeListener('exit', kill));
  if (options.waitUntilRunning ?? true) {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (!out.includes('dialpass is running')) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the app exited (${child.exitCode}) before it ran:\n${out}\n${err}`);
      if (Date.now() > deadline) {
        kill();
        throw new Error(`the app did not start in time:\n${out}\n${err}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { child, pid: child.pid!, port, url: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exited };
}

/** redis-server processes working in `dir` (redis-server chdirs into its --dir; Linux /proc). */
export function redisServersIn(dir: string): number[] {
  const found: number[] = [];
  const real = realpathSync(dir);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Debian's redis-server is a link to redis-check-rdb, so the name is read from the process title.
      if (readlinkSync(`/proc/${entry}/cwd`) === real && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('redis-server')) found.push(Number(entry));
    } catch {
      // gone, or not ours to look at
    }
  }
  return found;
}
