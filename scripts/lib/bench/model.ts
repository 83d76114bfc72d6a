// What more cores and a Redis Cluster would serve, on paper, from this run's own figures: the app's
// CPU per request, Redis's CPU per request, and where each step's Redis work lands (floors.ts
// names every round trip's slot). docs/SCALING.md explains the model and its limits.
// Pure arithmetic, no imports: run.ts gathers the inputs (modelInputs, measureOpsEvent).

export const MODEL_CORES = [4, 16, 64] as const;
export const MODEL_MASTERS = [1, 3, 6] as const;

/** One money event and one call end: what a whole activation call records in the single {ops} slot. */
export const OPS_EVENTS_PER_CALL = 2;
/** A whole activation call is four webhooks (pick-up, menu, provisional ID, status callback). */
export const WEBHOOKS_PER_CALL = 4;

export interface ModelInputs {
  /** App CPU per webhook of a whole activation call (the activation-call scenario, highest concurrency). */
  appMicrosPerWebhook: number;
  /** Redis CPU per webhook of the same. */
  redisMicrosPerWebhook: number;
  /** Redis CPU of one operator event recorded in the {ops} slot, batched as at load. */
  opsMicrosPerEvent: number;
}

export interface ModelRow {
  cores: number;
  masters: number;
  /** Calls per second each resource would allow, and the least of them. */
  appCallsPerSecond: number;
  /** Every master but the {ops} one: the calls' keys spread over them by hash slot. */
  spreadCallsPerSecond: number;
  /** The master holding {ops}: every call's operator events, plus its share of the spread. */
  opsMasterCallsPerSecond: number;
  callsPerSecond: number;
  webhooksPerSecond: number;
  firstToRunOut: 'app CPU' | 'Redis: the spread slots' | 'Redis: the {ops} master';
}

/**
 * Saturation on paper: each app core gives 1 s of CPU a second, each Redis master 1 s (Redis runs
 * commands on one thread). A call's keys other than {ops} hash evenly over the masters (member,
 * line, formal-ID, call slots: one per caller, so none is hot); its {ops} events all go to one.
 */
export function scaleModel(inputs: ModelInputs): ModelRow[] {
  const appPerCall = inputs.appMicrosPerWebhook * WEBHOOKS_PER_CALL;
  const redisPerCall = inputs.redisMicrosPerWebhook * WEBHOOKS_PER_CALL;
  const opsPerCall = Math.min(redisPerCall, inputs.opsMicrosPerEvent * OPS_EVENTS_PER_CALL);
  const spreadPerCall = redisPerCall - opsPerCall;
  const rows: ModelRow[] = [];
  for (const masters of MODEL_MASTERS) {
    for (const cores of MODEL_CORES) {
      const app = (cores * 1e6) / appPerCall;
      // With one master everything is on it; with more, {ops} shares its master with 1/M of the rest.
      const opsMaster = 1e6 / (opsPerCall + spreadPerCall / masters);
      const spread = masters === 1 ? opsMaster : ((masters - 1) * 1e6) / (spreadPerCall * ((masters - 1) / masters));
      const callsPerSecond = Math.min(app, opsMaster, spread);
      rows.push({
        cores,
        masters,
        appCallsPerSecond: Math.round(app),
        spreadCallsPerSecond: Math.round(spread),
        opsMasterCallsPerSecond: Math.round(opsMaster),
        callsPerSecond: Math.round(callsPerSecond),
        webhooksPerSecond: Math.round(callsPerSecond * WEBHOOKS_PER_CALL),
        firstToRunOut: callsPerSecond === app ? 'app CPU' : callsPerSecond === opsMaster ? 'Redis: the {ops} master' : 'Redis: the spread slots',
      });
    }
  }
  return rows;
}
