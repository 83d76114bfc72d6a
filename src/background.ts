import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { runOutboxPass } from './merchants/outbox.ts';
import { reconcileSettlement } from './payments/settlement-reconciler.ts';
import { settleCardCharges } from './charging/card-charges.ts';
import { cardProcessorFor, carrierBillingFor } from './charging/card-processor.ts';
import type { RedisClient } from './store/redis.ts';

export interface BackgroundDeps {
  config: Config;
  redis: RedisClient;
  logger: Logger;
  now?: () => number;
}

export interface BackgroundWork {
  /** Runs one pass of everything now (tests, and start-up). */
  runOnce(): Promise<void>;
  /** Stops the loop and waits for the pass under way; nothing is left half done that Redis does not record. */
  stop(): Promise<void>;
}

/** Unsettled redemptions younger than this are left to the request that is still booking them. */
const RECONCILE_GRACE_MS = 2000;

/**
 * The work every app process does in the background, all of it kept in Redis so that any number
 * of instances can run it and a restart loses nothing: every WORKER_POLL_MS, the webhook outbox
 * (payment requests expired with their event, due deliveries claimed, sent, recorded) and card
 * charges left open whose lease ran out (CARD_PROCESSOR=stripe); at start and every
 * RECONCILE_INTERVAL_MS, the settlement reconciler. One pass at a time; a failed pass
 * is logged and the next one tries again.
 */
export function startBackgroundWork(appDeps: BackgroundDeps): BackgroundWork {
  const deps = { ...appDeps, now: appDeps.now ?? Date.now };
  const { config, logger } = deps;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let nextReconcile = 0;

  const pass = async () => {
    if (Date.now() >= nextReconcile) {
      nextReconcile = Date.now() + config.reconcileIntervalMs;
      await reconcileSettlement(deps, Math.min(RECONCILE_GRACE_MS, config.reconcileIntervalMs));
    }
    // Charges through a processor whose outcome was left open (the app died mid-charge, the caller
    // hung up at a code, the processor did not answer).
    if (cardProcessorFor(config) || carrierBillingFor(config)) await settleCardCharges(deps);
    await runOutboxPass(deps);
  };
  const runOnce = () => {
    running = running.then(() => pass().catch((err) => logger.error({ err }, 'background pass failed')));
    return running;
  };
  const loop = () => {
    if (stopped) return;
    void runOnce().then(() => {
      if (!stopped) timer = setTimeout(loop, config.workerPollMs);
    });
  };
  loop();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
