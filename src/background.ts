import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { DeliveryDispatcher, runOutboxPass } from './merchants/outbox.ts';
import { reconcileSettlement } from './payments/settlement-reconciler.ts';
import { relayAuditOutboxes } from './observability/activity.ts';
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
  /** Runs one pass of everything now (tests, and start-up); deliveries it starts go on without it. */
  runOnce(): Promise<void>;
  /**
   * Stops the loop, waits for the pass under way (Redis work only), then for the deliveries on the
   * wire until `deadlineAt` (ms, wall clock), when the rest are cut and recorded as attempts to
   * retry; nothing is left that Redis does not record.
   */
  stop(deadlineAt?: number): Promise<void>;
  /** Deliveries on the wire now, and the most there were at once (tests, the drain measurement). */
  deliveries(): { inFlight: number; peak: number };
}

/** Unsettled redemptions younger than this are left to the request that is still booking them. */
const RECONCILE_GRACE_MS = 2000;

/**
 * The work every app process does in the background, all of it kept in Redis so that any number
 * of instances can run it and a restart loses nothing: every WORKER_POLL_MS, the webhook outbox
 * (payment requests expired with their event, due deliveries claimed and started) and card
 * charges left open whose lease ran out (CARD_PROCESSOR=stripe); at start and every
 * RECONCILE_INTERVAL_MS, the settlement reconciler and the audit outbox relay. One pass at a
 * time; a pass never waits for a delivery (they run beside it, bounded by the
 * DeliveryDispatcher), so a slow receiver delays neither expiry, nor the reconciler, nor other
 * merchants, nor shutdown. When a delivery ends, a pass runs at once to fill its slot (a backlog
 * drains at the receivers' pace, not the poll's). A failed pass is logged and the next one tries again.
 */
export function startBackgroundWork(appDeps: BackgroundDeps): BackgroundWork {
  const deps = { ...appDeps, now: appDeps.now ?? Date.now };
  const { config, logger } = deps;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let nextReconcile = 0;
  let kickQueued = false;
  const dispatcher = new DeliveryDispatcher(deps, () => kick());

  const pass = async (deliveriesOnly = false) => {
    if (deliveriesOnly) return void (await runOutboxPass(deps, dispatcher, { deliveriesOnly }));
    if (Date.now() >= nextReconcile) {
      nextReconcile = Date.now() + config.reconcileIntervalMs;
      await reconcileSettlement(deps, Math.min(RECONCILE_GRACE_MS, config.reconcileIntervalMs));
      // Operator events a charge wrote into its member's audit outbox and the app did not record (it died).
      await relayAuditOutboxes(deps);
    }
    // Charges through a processor whose outcome was left open (the app died mid-charge, the caller
    // hung up at a code, the processor did not answer).
    if (cardProcessorFor(config) || carrierBillingFor(config)) await settleCardCharges(deps);
    await runOutboxPass(deps, dispatcher);
  };
  const runOnce = () => {
    running = running.then(() => pass().catch((err) => logger.error({ err }, 'background pass failed')));
    return running;
  };
  // A slot came free: one more pass after the one under way (never more than one waiting).
  const kick = () => {
    if (stopped || kickQueued) return;
    kickQueued = true;
    running = running.then(() => {
      kickQueued = false;
      if (!stopped) return pass(true).catch((err) => logger.error({ err }, 'background pass failed'));
    });
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
    async stop(deadlineAt?: number) {
      stopped = true;
      clearTimeout(timer);
      await running;
      await dispatcher.drain(deadlineAt);
    },
    deliveries: () => ({ inFlight: dispatcher.inFlight, peak: dispatcher.peak }),
  };
}
