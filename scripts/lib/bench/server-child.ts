import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { FloorAnswer } from './floors.ts';
import type { ChildMessage, ParentMessage, ServerKind } from './protocol.ts';

const ENTRY = new URL('./server-process.ts', import.meta.url).pathname;
const READY_TIMEOUT_MS = 30_000;
const SETTLE_TIMEOUT_MS = 60_000;
const SETTLE_POLL_MS = 250;
/** CPU below this share of one core counts as idle; cpuUsage() covers every thread, libuv's hashing pool included. */
const IDLE_CPU_SHARE = 0.05;

export interface ServerChild {
  kind: ServerKind;
  url: string;
  pid: number;
  /** The child's resident memory as last reported. */
  rss(): number;
  /** Starts recording the child's peak resident memory; call the result to read it. */
  watchRss(): () => number;
  /** CPU time the process has used so far (every thread), in microseconds. */
  cpuMicros(): Promise<number>;
  /** Waits until the process is nearly idle, so work it still has queued (e.g. slow hashes) does not spill into the next run. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface SpawnServerOptions {
  env: Record<string, string | undefined>;
  /** The fixed document the TwiML baseline answers with. */
  twiml?: string;
  /** The floor's fixed answers, by path (the real steps' own, taken from the app). */
  answers?: Record<string, FloorAnswer>;
  /** Write a V8 CPU profile of this process into the folder when it stops. */
  cpuProfileDir?: string;
  /** Another checkout's server-process.ts (bench --against): its app, on the same Redis. */
  entry?: string;
}

/** Starts one server process (see server-process.ts) and waits until it listens on loopback. */
export async function spawnServer(kind: ServerKind, options: SpawnServerOptions): Promise<ServerChild> {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const profiling = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  const child: ChildProcess = spawn(process.execPath, [...profiling, '--import', tsx, options.entry ?? ENTRY, kind], {
    env: options.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let latestRss = 0;
  let peakRss = 0;
  let cpuShare = 1;
  let last: { at: number; cpuMicros: number } | undefined;
  child.on('message', (message: ChildMessage) => {
    if (message.type !== 'usage') return;
    latestRss = message.rss;
    peakRss = Math.max(peakRss, message.rss);
    const at = performance.now();
    if (last) cpuShare = (message.cpuMicros - last.cpuMicros) / 1000 / Math.max(at - last.at, 1);
    last = { at, cpuMicros: message.cpuMicros };
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench: ${kind} did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench: ${kind} exited (${code}) before it was ready`));
    });
    child.send({ type: 'start', twiml: options.twiml, answers: options.answers } satisfies ParentMessage);
  });
  const kill = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  return {
    kind,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    rss: () => latestRss,
    cpuMicros() {
      return new Promise<number>((resolve) => {
        const onMessage = (message: ChildMessage) => {
          if (message.type !== 'cpu') return;
          child.off('message', onMessage);
          resolve(message.cpuMicros);
        };
        child.on('message', onMessage);
        child.send({ type: 'cpu?' } satisfies ParentMessage);
      });
    },
    watchRss() {
      peakRss = latestRss;
      return () => peakRss;
    },
    async settle() {
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
      while (cpuShare > IDLE_CPU_SHARE && Date.now() < deadline) await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
    },
    async stop() {
      process.removeListener('exit', kill);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' } satisfies ParentMessage);
      const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(forced);
    },
  };
}
