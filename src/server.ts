import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createApp, type ExtraRouter } from './app.ts';
import { startBackgroundWork } from './background.ts';
import { loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { createRedisClient, type RedisClient } from './store/redis.ts';
import { loadVoiceFlows } from './voice/prompts.ts';
import { activitiesRecorded } from './observability/activity.ts';
import { startMetricsServer } from './observability/metrics-route.ts';

/** Something that runs beside the HTTP server (e.g. a webhook delivery worker): stopped on close. */
export type CloseHook = () => Promise<void> | void;

export interface RunningServer {
  server: Server;
  redis: RedisClient;
  logger: Logger;
  /**
   * Registers a background worker's stop function. On close it runs after the HTTP server has
   * stopped taking requests (so nothing new is handed to the worker) and before Redis is quit.
   */
  onClose(hook: CloseHook): void;
  /** Graceful stop with a deadline; see closeGracefully. Safe to call twice (returns the same promise). */
  close(): Promise<void>;
}

export interface CloseReport {
  /** Requests still in flight when the deadline cut them off. */
  cutOff: number;
  ms: number;
}

/**
 * Wires config, Redis, voice flows and the app together and listens on PORT.
 *
 * Shutdown (close): stop accepting connections, close idle keep-alive connections at once, answer
 * every request still in flight with `Connection: close` (so a keep-alive client cannot go on
 * sending on its connection), and after SHUTDOWN_TIMEOUT_MS cut whatever is left. Then the close
 * hooks (background workers), then Redis.
 */
export async function startServer(config: Config = loadConfig(), options: { extraRouters?: (logger: Logger) => ExtraRouter[] } = {}): Promise<RunningServer> {
  const logger = createLogger(config);
  const flows = loadVoiceFlows();
  const redis = createRedisClient(config, { onError: (err) => logger.warn({ err }, 'redis connection error') });
  const app = createApp({ config, redis, logger, flows, extraRouters: options.extraRouters?.(logger) });

  let closing = false;
  const inFlight = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (closing) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const hooks: CloseHook[] = [];
  if (config.metrics.port) {
    const metricsServer = await startMetricsServer(config.metrics.port);
    hooks.push(() => new Promise<void>((resolve) => metricsServer.close(() => resolve())));
  }
  // Webhook deliveries, payment-request expiry and the settlement reconciler, from Redis; stopped
  // once HTTP has drained, so nothing new is handed to them, and before Redis is quit.
  const background = startBackgroundWork({ config, redis, logger });
  // Deliveries still on the wire get what is left of SHUTDOWN_TIMEOUT_MS, whatever their receivers do.
  let deadlineAt = Infinity;
  hooks.push(() => background.stop(deadlineAt));
  let closed: Promise<void> | undefined;
  const close = async () => {
    const started = performance.now();
    deadlineAt = Date.now() + config.shutdownTimeoutMs;
    closing = true;
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // A connection that finishes its last request becomes idle only after its answer is written.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    let cutOff = 0;
    const deadline = new Promise<void>((resolve) =>
      setTimeout(() => {
        cutOff = inFlight.size;
        server.closeAllConnections();
        resolve();
      }, config.shutdownTimeoutMs).unref(),
    );
    await Promise.race([drained, deadline]);
    clearInterval(sweep);
    for (const hook of hooks.splice(0).reverse()) {
      await Promise.resolve()
        .then(hook)
        .catch((err: unknown) => logger.error({ err }, 'a close hook failed'));
    }
    // Operator events of the last requests go out one event-loop turn after them: sent first.
    await activitiesRecorded(redis);
    await redis.quit().catch(() => redis.disconnect());
    const report: CloseReport = { cutOff, ms: Math.round(performance.now() - started) };
    logger.info(report, cutOff > 0 ? 'stopped at the deadline; requests cut off' : 'stopped');
  };
  return {
    server,
    redis,
    logger,
    onClose: (hook) => void hooks.push(hook),
    close: () => (closed ??= close()),
  };
}
