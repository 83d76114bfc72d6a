// A process under test for `npm run bench`: the dialpass app, or one of the two bare-Express
// baselines. Each runs in its own process so the load generator never shares its event loop.
// Usage (spawned by the bench, with an IPC channel): node --import tsx server-process.ts app|twiml-baseline|json-baseline|floor
// With BENCH_INSTANCES=N (N > 1) the app runs as npm start runs it on N cores: this process is the
// node:cluster primary, N workers serve one port, and what the bench reads (resident memory, CPU
// time) is the sum over the primary and every worker.
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { createApp } from '../../../src/app.ts';
import { startBackgroundWork } from '../../../src/background.ts';
import { loadConfig, processEnv } from '../../../src/config.ts';
import { createLogger } from '../../../src/logger.ts';
import { createRedisClient } from '../../../src/store/redis.ts';
import { loadVoiceFlows } from '../../../src/voice/prompts.ts';
import type { ParentMessage, ChildMessage, ServerKind } from './protocol.ts';
import { twilioFormBody } from '../../../src/http/twilio-form-body.ts';
import { floorApp, type FloorAnswer } from './floors.ts';

// Often enough to see the peak of a login burst (two hashes in flight finish in ~40 ms).
const USAGE_REPORT_INTERVAL_MS = 50;

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** The ceiling for webhooks: same body parsing as the app's /twilio router, a fixed TwiML answer, no Redis. */
function twimlBaseline(twiml: string): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const router = express.Router();
  router.use(twilioFormBody);
  router.post('/voice', (_req, res) => {
    res.status(200).type('text/xml').send(twiml);
  });
  app.use('/twilio', router);
  return app;
}

/** The ceiling for the JSON API: same JSON body parsing as the app's /api router, the body echoed back on any path. */
function jsonBaseline(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const router = express.Router();
  router.use(express.json({ limit: '16kb' }));
  // Any path: scenarios drive it with requests shaped like their own (e.g. /api/merchant/redemptions).
  router.post('/{*path}', (req, res) => {
    res.json(req.body);
  });
  app.use('/api', router);
  return app;
}

async function listenOnLoopback(app: Express): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
    server.once('error', reject);
  });
}

async function main(kind: ServerKind, twiml: string, answers: Record<string, FloorAnswer>): Promise<void> {
  let closeResources = async () => {};
  let app: Express;
  if (kind === 'app') {
    const config = loadConfig();
    const redis = createRedisClient(config);
    const logger = createLogger(config);
    app = createApp({ config, redis, logger, flows: loadVoiceFlows() });
    // As in production: the background worker (webhook outbox, expiry, settlement reconciler) runs in the app process.
    const background = startBackgroundWork({ config, redis, logger });
    closeResources = async () => {
      await background.stop();
      await redis.quit().catch(() => undefined);
    };
  } else if (kind === 'floor') {
    const config = loadConfig();
    const redis = createRedisClient(config);
    app = floorApp({ config, redis, now: Date.now }, answers);
    closeResources = async () => {
      await redis.quit().catch(() => undefined);
    };
  } else {
    app = kind === 'twiml-baseline' ? twimlBaseline(twiml) : jsonBaseline();
  }
  const server = await listenOnLoopback(app);
  const usageTimer = setInterval(() => {
    const cpu = process.cpuUsage();
    send({ type: 'usage', rss: process.memoryUsage.rss(), cpuMicros: cpu.user + cpu.system });
  }, USAGE_REPORT_INTERVAL_MS);
  usageTimer.unref();

  let stopping = false;
  // A normal exit (not a kill) is what lets --cpu-prof write its profile.
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(usageTimer);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await closeResources();
    process.exit(0);
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') void stop();
    if (message.type === 'cpu?') {
      const cpu = process.cpuUsage();
      send({ type: 'cpu', cpuMicros: cpu.user + cpu.system });
    }
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  send({ type: 'ready', port: (server.address() as AddressInfo).port });
}

const ownUsage = () => {
  const cpu = process.cpuUsage();
  return { rss: process.memoryUsage.rss(), cpuMicros: cpu.user + cpu.system };
};

/** A worker of the N-process app: serves, and answers the primary's usage questions. */
async function clusterWorker(): Promise<void> {
  const config = loadConfig();
  const redis = createRedisClient(config);
  const logger = createLogger(config);
  const app = createApp({ config, redis, logger, flows: loadVoiceFlows() });
  const background = startBackgroundWork({ config, redis, logger });
  const server = await listenOnLoopback(app);
  process.on('message', (message: { type: string; id?: number }) => {
    if (message.type === 'usage?') process.send?.({ type: 'usage', id: message.id, ...ownUsage() });
    if (message.type === 'stop')
      void (async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await background.stop();
        await redis.quit().catch(() => undefined);
        process.exit(0);
      })();
  });
  process.on('disconnect', () => process.exit(0));
}

/** The primary of the N-process app: forks the workers on one port and reports their summed usage to the bench. */
async function clusterPrimary(instances: number): Promise<void> {
  const workers: Worker[] = [];
  let port = 0;
  await Promise.all(
    Array.from(
      { length: instances },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = cluster.fork();
          workers.push(worker);
          worker.once('listening', (address) => {
            port = address.port;
            resolve();
          });
          worker.once('exit', (code) => reject(new Error(`an app worker exited (${code}) before it listened`)));
        }),
    ),
  );
  // One listener per worker; each question has an ID and waits for every worker's answer to it.
  let asked = 0;
  const waiting = new Map<number, { answers: { rss: number; cpuMicros: number }[]; done: (sum: { rss: number; cpuMicros: number }) => void }>();
  for (const worker of workers) {
    worker.on('message', (message: { type: string; id?: number; rss: number; cpuMicros: number }) => {
      const question = message.type === 'usage' && message.id !== undefined ? waiting.get(message.id) : undefined;
      if (!question) return;
      question.answers.push(message);
      if (question.answers.length < workers.length) return;
      waiting.delete(message.id!);
      question.done(question.answers.reduce((sum, a) => ({ rss: sum.rss + a.rss, cpuMicros: sum.cpuMicros + a.cpuMicros }), ownUsage()));
    });
  }
  const usage = () =>
    new Promise<{ rss: number; cpuMicros: number }>((done) => {
      const id = ++asked;
      waiting.set(id, { answers: [], done });
      for (const worker of workers) worker.send({ type: 'usage?', id });
    });
  const usageTimer = setInterval(() => void usage().then((u) => send({ type: 'usage', ...u })), USAGE_REPORT_INTERVAL_MS);
  const stop = async () => {
    clearInterval(usageTimer);
    await Promise.all(workers.map((worker) => new Promise((resolve) => (worker.isDead() ? resolve(undefined) : (worker.once('exit', resolve), worker.send({ type: 'stop' }))))));
    process.exit(0);
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') void stop();
    if (message.type === 'cpu?') void usage().then((u) => send({ type: 'cpu', cpuMicros: u.cpuMicros }));
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  send({ type: 'ready', port });
}

const kind = process.argv[2] as ServerKind;
const instances = Number(processEnv().BENCH_INSTANCES ?? 1);
if (cluster.isWorker) {
  clusterWorker().catch((error) => {
    console.error('bench app worker: could not start:', error);
    process.exit(1);
  });
} else {
  process.once('message', (message: ParentMessage) => {
    if (message.type !== 'start') return;
    (kind === 'app' && instances > 1 ? clusterPrimary(instances) : main(kind, message.twiml ?? '', message.answers ?? {})).catch((error) => {
      console.error(`bench ${kind}: could not start:`, error);
      process.exit(1);
    });
  });
}
