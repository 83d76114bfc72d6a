// npm start: serves dialpass. With no REDIS_URL (and no cluster) it runs its own redis-server,
// with its data in .data/redis (append-only file on, fsync on every write), and stops it on exit.
//
// Order matters for a newcomer: the port is checked first, then .data/redis is locked, and only
// then is redis-server started, so a second `npm start` (or a port in use) ends with one line and
// exit code 1 before it touches the data. SIGTERM/SIGINT stop gracefully within
// SHUTDOWN_TIMEOUT_MS (the app first, the managed redis-server last); a second one exits at once.
//
// Every core: with WEB_CONCURRENCY > 1 (by default one per core, see workerCount) this process is
// the node:cluster primary. It checks the port, starts the one managed redis-server, and forks the
// workers; each worker runs this same file, serves HTTP on the shared port (the primary hands out
// connections in turn) and runs its own background worker (claims in Redis are atomic, so N of
// them never deliver or book twice). A worker that dies is replaced; on SIGTERM/SIGINT every
// worker drains within SHUTDOWN_TIMEOUT_MS, then the primary stops redis-server.
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { ConfigError, DEV_ADMIN_TOKEN, loadConfig, PLACEHOLDER_SERVICE_PHONE_NUMBER, processEnv, type Config } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { VoiceFlowError } from '../src/voice/prompts.ts';
import { simulatorRouters } from './lib/simulator-routers.ts';
import { DataDirInUseError, MissingRedisError, startManagedRedis, type ManagedRedis } from './lib/managed-redis.ts';

const root = join(import.meta.dirname, '..');

class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/** Fails with one line when something already listens on the port the app is about to use. */
async function checkPortFree(port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(`port ${port} is already in use; set PORT to another one.`) : error),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

let managed: ManagedRedis | undefined;
let running: RunningServer | undefined;
const workers = new Set<Worker>();

/**
 * WEB_CONCURRENCY when set; otherwise one worker per core, except while the browser call
 * simulator is on: a call placed from the browser lives in the worker that placed it (its
 * interpreter waits there for the next keys), so its steps need that same worker.
 */
function workerCount(config: Config): { count: number; note?: string } {
  if (config.webConcurrency !== undefined) {
    const note =
      config.webConcurrency > 1 && config.simulatorEnabled
        ? 'the browser call simulator (/simulator) needs sticky sessions with several workers: a call lives in the worker that placed it. Use WEB_CONCURRENCY=1 while you use it (npm run call works with any number).'
        : undefined;
    return { count: config.webConcurrency, note };
  }
  if (config.simulatorEnabled) return { count: 1 };
  return { count: availableParallelism() };
}

/**
 * How each kind of charge is collected, grouped by method (docs/CHARGING.md), so an operator sees
 * at start what callers will be told; a demo and the placeholder number say that nothing is billed.
 */
function chargingLine(config: Config): string {
  const byMethod = new Map<string, string[]>();
  for (const [kind, method] of Object.entries(config.charging.methods)) byMethod.set(method, [...(byMethod.get(method) ?? []), kind]);
  const said = [...byMethod].map(([method, kinds]) => `${kinds.join(', ')}: ${method === 'none' ? 'none (a demo)' : method}`).join(' · ');
  const placeholder = config.servicePhoneNumber === PLACEHOLDER_SERVICE_PHONE_NUMBER ? `\n                    (SERVICE_PHONE_NUMBER is the placeholder ${PLACEHOLDER_SERVICE_PHONE_NUMBER}: no real call reaches it, so nothing is billed)` : '';
  return `  charging          ${said}${placeholder}`;
}

function banner(config: Config, workerNote: string): string {
  const local = `http://localhost:${config.port}`;
  return `dialpass is running (${config.env}${workerNote})
  home page         ${local}/
  register          ${local}/register
  log in            ${local}/login
  health            ${local}/healthz
  operator console  ${local}/admin${config.env !== 'production' && config.adminToken === DEV_ADMIN_TOKEN ? `   (development ADMIN_TOKEN: ${DEV_ADMIN_TOKEN})` : ''}
  merchant pages    ${local}/merchant   (sign in with a merchant's API key; the API: ${local}/openapi.json)
${chargingLine(config)}
  Twilio voice URL  ${config.publicBaseUrl}/twilio/voice   (status callback: ${config.publicBaseUrl}/twilio/voice/status)${
    config.simulatorEnabled ? `\n  call simulator    ${local}/simulator   (or in a terminal: npm run call)` : ''
  }`;
}

async function main() {
  let config = loadConfig();
  await checkPortFree(config.port);
  if (!config.redis.url && config.redis.clusterNodes.length === 0) {
    const dataDir = config.redis.dataDir ?? join(root, '.data', 'redis');
    managed = await startManagedRedis({ dataDir, persistent: true, lock: true, ownProcessGroup: true });
    config = loadConfig({ REDIS_URL: managed.url });
    console.log(`dialpass: started its own redis-server on ${managed.url} (data in ${dataDir.startsWith(root) ? relative(root, dataDir) : dataDir})`);
  }
  const { count, note } = workerCount(config);
  if (note) console.warn(`dialpass: ${note}`);
  if (count === 1) {
    running = await startServer(config, { extraRouters: (logger) => simulatorRouters(config, logger) });
    console.log(banner(config, ''));
    return;
  }
  await startWorkers(config, count);
  console.log(banner(config, `, ${count} worker processes`));
}

/** Workers replaced this often within a minute mean something is wrong with every one of them: stop. */
const MAX_RESTARTS_PER_MINUTE = 10;

/** Forks `count` workers and resolves when every one listens; rejects if one exits before it does. */
async function startWorkers(config: Config, count: number): Promise<void> {
  // The workers reach the managed redis-server (or the configured one) through their environment.
  const env = { REDIS_URL: config.redis.url ?? '' };
  const fork = () =>
    new Promise<Worker>((resolve, reject) => {
      const worker = cluster.fork(env);
      workers.add(worker);
      worker.once('listening', () => resolve(worker));
      worker.once('exit', (code, signal) => {
        workers.delete(worker);
        reject(new Error(`a worker exited (${signal ?? code}) before it listened`));
      });
    });
  await Promise.all(Array.from({ length: count }, fork));
  const restarts: number[] = [];
  cluster.on('exit', (worker, code, signal) => {
    workers.delete(worker);
    if (stoppingSince !== undefined) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      console.error(`dialpass: workers keep dying (${restarts.length} in a minute); stopping`);
      stop('SIGTERM', 1);
      return;
    }
    console.error(`dialpass: worker ${worker.process.pid} ended (${signal ?? code}); starting another`);
    fork().catch((error: Error) => console.error(`dialpass: ${error.message}`));
  });
}

/** Waits until every worker has exited, or the deadline passes (then they are killed). */
async function stopWorkers(signal: NodeJS.Signals, deadlineMs: number): Promise<void> {
  const exits = [...workers].map((worker) => new Promise((resolve) => (worker.isDead() ? resolve(undefined) : worker.once('exit', resolve))));
  for (const worker of workers) if (!worker.isDead()) worker.process.kill(signal);
  const timer = setTimeout(() => {
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
  }, deadlineMs);
  await Promise.all(exits);
  clearTimeout(timer);
}

/** In a worker: serve, and on a signal (or the primary gone) drain and exit. Only the first signal counts; the primary handles a second. */
async function runWorker(): Promise<void> {
  let stopping = false;
  const stopWorker = () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await running?.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', stopWorker);
  process.on('SIGTERM', stopWorker);
  process.on('disconnect', stopWorker);
  try {
    const config = loadConfig();
    running = await startServer(config, { extraRouters: (logger) => simulatorRouters(config, logger) });
    // Which worker answered, for tests and for debugging outside production.
    const id = String(cluster.worker!.id);
    if (config.env !== 'production') running.server.prependListener('request', (_req, res) => res.setHeader('X-Dialpass-Worker', id));
  } catch (error) {
    console.error('dialpass worker: could not start:', error instanceof ConfigError || error instanceof VoiceFlowError ? error.message : error);
    process.exit(1);
  }
}

/**
 * A Ctrl-C in a terminal reaches this process twice: from the terminal (the whole foreground
 * process group) and again forwarded by npm, which forwards SIGINT/SIGTERM to its script. npm's
 * copy may come at any time after the first (on a loaded machine, well over half a second later:
 * a window of 500 ms made a single Ctrl-C force-exit at times). So under npm the first repeat is
 * taken for npm's copy whenever it comes, and only a signal after it is a second Ctrl-C; run
 * directly (node scripts/start.ts), any repeat is. If npm's copy never comes (a signal sent to
 * this process alone), a second Ctrl-C still forces: its own two copies are one repeat too many.
 */
let npmCopyExpected = Boolean(processEnv().npm_lifecycle_event);
let stoppingSince: number | undefined;
function stop(signal: NodeJS.Signals, exitCode = 0) {
  stoppingSince = performance.now();
  void (async () => {
    await running?.close();
    // A worker gets SHUTDOWN_TIMEOUT_MS to drain, plus a moment to close Redis and exit.
    if (workers.size > 0) await stopWorkers('SIGTERM', (loadConfigQuietly()?.shutdownTimeoutMs ?? 10_000) + 5_000);
    await managed?.stop();
    process.exit(exitCode);
  })();
}
const loadConfigQuietly = () => {
  try {
    return loadConfig();
  } catch {
    return undefined;
  }
};
const onSignal = (signal: NodeJS.Signals) => {
  if (stoppingSince !== undefined) {
    if (npmCopyExpected) {
      npmCopyExpected = false;
      return;
    }
    console.error(`dialpass: ${signal} again, exiting now`);
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    managed?.stopNow();
    process.exit(130);
  }
  console.log(`dialpass: ${signal}, shutting down (${signal === 'SIGINT' ? 'Ctrl-C again to force' : 'at most SHUTDOWN_TIMEOUT_MS'})`);
  stop(signal);
};

if (cluster.isWorker) {
  void runWorker();
} else {
  // Listening from the very start: a signal during start-up still stops redis-server last.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main().catch(onStartFailure);
}

async function onStartFailure(error: unknown) {
  if (error instanceof ConfigError || error instanceof MissingRedisError || error instanceof VoiceFlowError || error instanceof PortInUseError || error instanceof DataDirInUseError)
    console.error(`dialpass: ${error.message}`);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') console.error(`dialpass: port ${(error as { port?: number }).port} is already in use; set PORT to another one.`);
  else console.error('dialpass: could not start:', error);
  for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
  await managed?.stop().catch(() => undefined);
  process.exit(1);
}
