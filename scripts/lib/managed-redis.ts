import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processEnv } from '../../src/config.ts';
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

/** Another live dialpass already runs a redis-server on this data directory. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

const LOCK_FILE = 'dialpass.lock';

interface LockInfo {
  ownerPid: number;
  redisPid?: number;
  port?: number;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const isRedisServer = (pid: number) => {
  const ps = spawnSync('ps', ['-p', String(pid), '-o', 'args='], { encoding: 'utf8' });
  return ps.status === 0 && ps.stdout.includes('redis-server');
};

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/**
 * Takes `<dataDir>/dialpass.lock` (created with O_EXCL, so two starts cannot both take it). A lock
 * whose owner is alive means another dialpass is using the directory: DataDirInUseError. A lock
 * left by an owner that died (SIGKILL, power loss) is stale: the redis-server it recorded, if still
 * running as an orphan, is stopped first (it is ours and holds the append-only file), then the
 * lock is taken over.
 */
async function lockDataDir(dataDir: string, log: (line: string) => void): Promise<{ update(info: Partial<LockInfo>): void; release(): void }> {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, JSON.stringify({ ownerPid: process.pid } satisfies LockInfo));
      closeSync(fd);
      let info: LockInfo = { ownerPid: process.pid };
      return {
        update(more) {
          info = { ...info, ...more };
          writeFileSync(path, JSON.stringify(info));
        },
        release() {
          try {
            const current = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
            if (current.ownerPid === process.pid) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    } catch {
      // Half-written by an owner that is starting right now, or garbage: give it a moment.
      await new Promise((r) => setTimeout(r, 200));
      try {
        held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      } catch {
        held = undefined;
      }
    }
    if (held && held.ownerPid !== process.pid && isAlive(held.ownerPid)) {
      throw new DataDirInUseError(
        `another dialpass (pid ${held.ownerPid}) is already running a redis-server on ${dataDir}${held.port ? ` (port ${held.port})` : ''}; stop it first or set REDIS_URL.`,
      );
    }
    if (held?.redisPid && isAlive(held.redisPid) && isRedisServer(held.redisPid)) {
      log(`dialpass: stopping the redis-server (pid ${held.redisPid}) a previous run left on ${dataDir}`);
      process.kill(held.redisPid, 'SIGTERM');
      if (!(await waitForExit(held.redisPid, 10_000))) throw new DataDirInUseError(`the redis-server (pid ${held.redisPid}) left on ${dataDir} does not stop; stop it by hand.`);
    }
    try {
      unlinkSync(path);
    } catch {
      // someone else removed it
    }
  }
  throw new DataDirInUseError(`could not take the lock ${path}`);
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
    const env = { ...processEnv(), DEBIAN_FRONTEND: 'noninteractive' };
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

const redisCli = (serverBinary: string) => serverBinary.replace(/redis-server$/, 'redis-cli');

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
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
  /** For a forced exit: sends SIGTERM (redis still writes its AOF and exits cleanly) and releases the lock without waiting. */
  stopNow(): void;
}

export interface ManagedRedisOptions {
  /** Directory for data; persistent runs keep an append-only file there. Default: a temporary folder removed on stop. */
  dataDir?: string;
  persistent?: boolean;
  /**
   * With persistent: how the append-only file is flushed to disk (redis's appendfsync). Default
   * 'always': a write is on disk before Redis answers it, so an acknowledged charge survives power
   * loss, at the cost measured in docs/RELIABILITY.md. 'everysec' may lose the last second.
   */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Take <dataDir>/dialpass.lock so no second dialpass starts a redis-server on the same data (npm start). */
  lock?: boolean;
  /**
   * Run redis-server in a process group of its own, so a Ctrl-C in the terminal reaches only the
   * app, which stops Redis itself once it has drained (npm start). Then only stop() stops it.
   */
  ownProcessGroup?: boolean;
  /** A fixed port (e.g. to restart on the same port after a crash); default: a free one. */
  port?: number;
  /** More redis-server arguments (a cluster node's, for instance). */
  extraArgs?: string[];
  log?: (line: string) => void;
}

/** Starts a private redis-server on a free loopback port and stops it when this process ends. */
export async function startManagedRedis(options: ManagedRedisOptions = {}): Promise<ManagedRedis> {
  const log = options.log ?? console.log;
  const binary = ensureRedisServer(log);
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'dialpass-redis-'));
  mkdirSync(dataDir, { recursive: true });
  const lock = options.lock ? await lockDataDir(dataDir, log) : undefined;
  const port = options.port ?? (await freePort());
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dataDir,
    '--daemonize', 'no',
    '--protected-mode', 'yes',
    '--save', '',
    '--appendonly', options.persistent ? 'yes' : 'no',
    '--appendfsync', options.appendfsync ?? 'always',
    '--loglevel', 'warning',
    ...(options.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup ?? false });
  lock?.update({ redisPid: child.pid, port });
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
      const ping = spawnSync(redisCli(binary), ['-p', String(port), 'ping'], { encoding: 'utf8' });
      if (ping.stdout?.trim() === 'PONG') return;
    }
    throw new Error(`redis-server did not answer on port ${port}:\n${output}`);
  })();
  try {
    await Promise.race([ready, polled]);
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGTERM');
    lock?.release();
    throw error;
  }

  const kill = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    lock?.release();
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
    pid: child.pid!,
    dataDir,
    stopNow() {
      stopped = true;
      process.removeListener('exit', kill);
      kill();
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
      lock?.release();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ManagedCluster {
  /** Every node, masters first as created (replicas may be promoted later). */
  nodes: { host: string; port: number }[];
  /** REDIS_CLUSTER_NODES for the app: host:port,host:port,… */
  nodesEnv: string;
  servers: ManagedRedis[];
  /** Runs redis-cli against one node and returns its output (CLUSTER NODES, INFO, …). */
  cli(port: number, ...args: string[]): string;
  stop(): Promise<void>;
}

export interface ManagedClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /**
   * How long a master may be unreachable before its replica takes over (redis's
   * cluster-node-timeout, default 15 s there). Short here: a local cluster for tests.
   */
  nodeTimeoutMs?: number;
  log?: (line: string) => void;
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || taken.has(port) || taken.has(port + 10_000)) continue;
    const bus = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port + 10_000, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (bus) {
      taken.add(port).add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free port pair for a cluster node');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A throwaway Redis Cluster on loopback from Debian's redis-server: `masters` masters with
 * `replicasPerMaster` replicas each (3 + 3 by default), slots spread by `redis-cli --cluster
 * create`, ready when every node reports cluster_state:ok and knows every other node.
 */
export async function startManagedCluster(options: ManagedClusterOptions = {}): Promise<ManagedCluster> {
  const log = options.log ?? console.log;
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const binary = ensureRedisServer(log);
  const cliBinary = redisCli(binary);
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < masters * (1 + replicas); i++) ports.push(await freeClusterPort(taken));
  const servers: ManagedRedis[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
  };
  try {
    servers.push(
      ...(await Promise.all(
        ports.map((port) =>
          startManagedRedis({
            port,
            log,
            extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000)],
          }),
        ),
      )),
    );
    const cli = (port: number, ...args: string[]) => {
      const run = spawnSync(cliBinary, ['-p', String(port), ...args], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`redis-cli -p ${port} ${args.join(' ')} failed:\n${run.stdout}${run.stderr}`);
      return run.stdout;
    };
    const create = spawnSync(
      cliBinary,
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
      { encoding: 'utf8' },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
    const until = Date.now() + 30_000;
    for (;;) {
      const ready = ports.every((port) => {
        const info = cli(port, 'cluster', 'info');
        return /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${ports.length}\\b`).test(info);
      });
      const replicasUp = ports.every((port) => !/role:slave/.test(cli(port, 'info', 'replication')) || /master_link_status:up/.test(cli(port, 'info', 'replication')));
      if (ready && replicasUp) break;
      if (Date.now() > until) throw new Error('the local Redis Cluster did not become ready within 30 s');
      await sleep(100);
    }
    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    return { nodes, nodesEnv: nodes.map((n) => `${n.host}:${n.port}`).join(','), servers, cli, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
