// npm start: serves dialpass. With no REDIS_URL (and no cluster) it runs its own redis-server,
// with its data in .data/redis (append-only file on, fsync on every write), and stops it on exit.
//
// Order matters for a newcomer: the port is checked first, then .data/redis is locked, and only
// then is redis-server started, so a second `npm start` (or a port in use) ends with one line and
// exit code 1 before it touches the data. SIGTERM/SIGINT stop gracefully within
// SHUTDOWN_TIMEOUT_MS (the app first, the managed redis-server last); a second one exits at once.
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.ts';
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

async function main() {
  let config = loadConfig();
  await checkPortFree(config.port);
  if (!config.redis.url && config.redis.clusterNodes.length === 0) {
    const dataDir = config.redis.dataDir ?? join(root, '.data', 'redis');
    managed = await startManagedRedis({ dataDir, persistent: true, lock: true, ownProcessGroup: true });
    config = loadConfig({ REDIS_URL: managed.url });
    console.log(`dialpass: started its own redis-server on ${managed.url} (data in ${dataDir.startsWith(root) ? relative(root, dataDir) : dataDir})`);
  }
  running = await startServer(config, { extraRouters: (logger) => simulatorRouters(config, logger) });
  const local = `http://localhost:${config.port}`;
  console.log(`dialpass is running (${config.env})
  home page         ${local}/
  register          ${local}/register
  log in            ${local}/login
  health            ${local}/healthz
  Twilio voice URL  ${config.publicBaseUrl}/twilio/voice   (status callback: ${config.publicBaseUrl}/twilio/voice/status)${
    config.simulatorEnabled ? `\n  call simulator    ${local}/simulator   (or in a terminal: npm run call)` : ''
  }`);
}

/**
 * A Ctrl-C in a terminal reaches this process twice within milliseconds: from the terminal and
 * forwarded by npm (which forwards SIGINT/SIGTERM to its script). Only a signal that comes later
 * than this is a second Ctrl-C.
 */
const SAME_SIGNAL_MS = 500;
let stoppingSince: number | undefined;
const onSignal = (signal: NodeJS.Signals) => {
  if (stoppingSince !== undefined) {
    if (performance.now() - stoppingSince < SAME_SIGNAL_MS) return;
    console.error(`dialpass: ${signal} again, exiting now`);
    managed?.stopNow();
    process.exit(130);
  }
  stoppingSince = performance.now();
  console.log(`dialpass: ${signal}, shutting down (${signal === 'SIGINT' ? 'Ctrl-C again to force' : 'at most SHUTDOWN_TIMEOUT_MS'})`);
  void (async () => {
    await running?.close();
    await managed?.stop();
    process.exit(0);
  })();
};
// Listening from the very start: a signal during start-up still stops redis-server last.
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main().catch(async (error) => {
  if (error instanceof ConfigError || error instanceof MissingRedisError || error instanceof VoiceFlowError || error instanceof PortInUseError || error instanceof DataDirInUseError)
    console.error(`dialpass: ${error.message}`);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') console.error(`dialpass: port ${(error as { port?: number }).port} is already in use; set PORT to another one.`);
  else console.error('dialpass: could not start:', error);
  await managed?.stop().catch(() => undefined);
  process.exit(1);
});
