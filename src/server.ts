import type { Server } from 'node:http';
import { createApp } from './app.ts';
import { startBackgroundWork } from './background.ts';
import { loadConfig, type Config } from './config.ts';
import { createLogger } from './logger.ts';
import { createRedisClient } from './store/redis.ts';
import { loadVoiceFlows } from './voice/prompts.ts';

export interface RunningServer {
  server: Server;
  close(): Promise<void>;
}

/** Wires config, Redis, voice flows and the app together and listens on PORT. */
export async function startServer(config: Config = loadConfig()): Promise<RunningServer> {
  const logger = createLogger(config);
  const flows = loadVoiceFlows();
  const redis = createRedisClient(config, { onError: (err) => logger.warn({ err }, 'redis connection error') });
  const app = createApp({ config, redis, logger, flows });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, () => resolve(s));
    s.once('error', reject);
  });
  // Webhook deliveries, payment-request expiry and the settlement reconciler, from Redis.
  const background = startBackgroundWork({ config, redis, logger });
  return {
    server,
    async close() {
      await background.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.quit().catch(() => undefined);
    },
  };
}
