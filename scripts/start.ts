// npm start: serves dialpass. With no REDIS_URL (and no cluster) it runs its own redis-server,
// with its data in .data/redis (append-only file on), and stops it on exit.
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startServer } from '../src/server.ts';
import { VoiceFlowError } from '../src/voice/prompts.ts';
import { MissingRedisError, startManagedRedis, type ManagedRedis } from './lib/managed-redis.ts';

const root = join(import.meta.dirname, '..');

async function main() {
  let config = loadConfig();
  let managed: ManagedRedis | undefined;
  if (!config.redis.url && config.redis.clusterNodes.length === 0) {
    managed = await startManagedRedis({ dataDir: join(root, '.data', 'redis'), persistent: true });
    config = loadConfig({ REDIS_URL: managed.url });
    console.log(`dialpass: started its own redis-server on ${managed.url} (data in .data/redis)`);
  }
  const running = await startServer(config);
  const local = `http://localhost:${config.port}`;
  console.log(`dialpass is running (${config.env})
  home page         ${local}/
  register          ${local}/register
  log in            ${local}/login
  health            ${local}/healthz
  Twilio voice URL  ${config.publicBaseUrl}/twilio/voice   (status callback: ${config.publicBaseUrl}/twilio/voice/status)${
    config.simulatorEnabled ? `\n  call simulator    ${local}/simulator   (or in a terminal: npm run call)` : ''
  }`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`dialpass: ${signal}, shutting down`);
    await running.close();
    await managed?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  if (error instanceof ConfigError || error instanceof MissingRedisError || error instanceof VoiceFlowError) console.error(`dialpass: ${error.message}`);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') console.error(`dialpass: port ${(error as { port?: number }).port} is already in use; set PORT to another one.`);
  else console.error('dialpass: could not start:', error);
  process.exit(1);
});
