// What one bench run produces (the JSON written by `npm run bench`), and the options it ran with.
// Types only: run.ts fills them in, targets.ts judges them, report.ts prints them.
import type { CallsFigures } from './calls.ts';
import type { LoginBurstFigures } from './logins.ts';
import type { RedisMemoryFigures } from './memory.ts';
import type { ModelInputs, ModelRow } from './model.ts';
import type { ProfileComparison, ProfileSummary } from './profile.ts';
import type { BaselineName } from './scenarios.ts';

export interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number[];
  /** Scenario names to run; empty: all. */
  only: string[];
  /** Measure Redis memory per item (100,000 of each by default). */
  memory: boolean;
  memoryCount: number;
  /** Another checkout of dialpass (e.g. a git worktree of the previous commit): every scenario runs against its app and this one's, interleaved. */
  against?: string;
  /** Scenario name whose app process (and floor process) is profiled with --cpu-prof (the profiles go to profileDir). */
  profile?: string;
  profileDir: string;
  /** App processes to compare with one (npm run bench -- --instances N); 1 or absent: no comparison. */
  instances?: number;
  /** Simultaneous calls in the `calls` scenario (default 1,000). */
  calls?: number;
  /** A running deployment to drive instead of local processes (remote.ts). */
  url?: string;
  log: (line: string) => void;
}

export interface Measurement {
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** non-2xx answers + socket errors/timeouts + answers that were not what a correct request gets. */
  errors: number;
  errorDetail: { non2xx: number; socketErrors: number; timeouts: number; wrongAnswers: number };
  totalRequests: number;
  /** Peak resident memory of the process under load during this run. */
  peakRssBytes: number;
  /** CPU time of the process under load (all threads) per completed request, in microseconds. */
  cpuMicrosPerRequest: number;
  /** Redis's CPU time per completed request, in microseconds (processes that use Redis only). */
  redisCpuMicrosPerRequest?: number;
  /** Redis commands per completed request, by command (processes that use Redis only): what one request costs Redis and the client. */
  redisCommandsPerRequest?: Record<string, number>;
}

/** A scenario's figures beside the floor of its design (floors.ts), measured in the same interleaved slices. */
export interface FloorFigures {
  measured: Measurement;
  /** Scenario requests/s over the floor's: median of the slice triples. */
  ratio: number;
  pairRatios: number[];
}

export interface ResultRow {
  scenario: string;
  title: string;
  baseline: BaselineName;
  connections: number;
  measured: Measurement;
  baselineMeasured: Measurement;
  /**
   * Scenario requests/s over its bare baseline's: the median over the paired slices (each scenario
   * slice against the baseline slice run next to it), so a burst of interference from outside
   * the bench that hits one slice does not decide the figure.
   */
  ratio: number;
  /** Each pair's ratio, in run order. */
  pairRatios: number[];
  /** All scenario requests over all baseline requests, for comparison with `ratio`. */
  pooledRatio: number;
  /** The floor stand-in of this scenario (Redis-touching scenarios), from the same slices. */
  floor?: FloorFigures;
}

export interface ScalingRow {
  scenario: string;
  connections: number;
  one: Measurement;
  many: Measurement;
  /** N processes' requests/s over one's: median of the paired slices. */
  ratio: number;
  pairRatios: number[];
}

export interface ComparisonRow {
  scenario: string;
  connections: number;
  theirs: Measurement;
  ours: Measurement;
  /** This checkout's requests/s over the other's: median of the paired slices. */
  ratio: number;
  pairRatios: number[];
}

export interface ScalingResults {
  instances: number;
  /** Cores this machine offers (load generator, Redis and every app process share them). */
  cores: number;
  rows: ScalingRow[];
  loginBursts: LoginBurstFigures[] | null;
  calls: CallsFigures | null;
}

/** NOT JUDGED: measured and shown, but the machine cannot decide it (too few cores for N processes plus the load generator). */
export type TargetStatus = 'PASS' | 'MISS' | 'PENDING' | 'NOT RUN' | 'NOT JUDGED';

export interface TargetResult {
  target: string;
  measured: string;
  status: TargetStatus;
  /** For a MISS: the CPU per request over what the target allows, and what that is measured against. */
  gap?: string;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  machine: { cpuModel: string; cpus: number; memoryGiB: number; os: string; node: string; redis: string };
  options: Omit<BenchOptions, 'log'>;
  rows: ResultRow[];
  pending: { scenario: string; title: string; reason: string }[];
  redisMemory: RedisMemoryFigures | null;
  /** The `logins` scenario: bursts of simultaneous logins (null when not run). */
  loginBursts: LoginBurstFigures[] | null;
  /** The `calls` scenario: simultaneous simulated calls through the activation flow (null when not run). */
  calls: CallsFigures | null;
  /** With --instances N: the same scenarios against N app processes, each against one. */
  scaling: ScalingResults | null;
  /** With --against DIR: this checkout's app against that one's, same scenarios, interleaved slices. */
  comparison?: { against: string; rows: ComparisonRow[] };
  /** With --url: the scenarios against a running deployment, no baseline (its machine is not ours). */
  remote?: { url: string; rows: { scenario: string; connections: number; measured: Measurement }[] };
  targets: TargetResult[];
  profile: ProfileSummary | null;
  /** What 4, 16 and 64 cores and 1, 3 and 6 Redis masters would serve, from this run's figures (model.ts); null without activation-call. */
  model?: { inputs: ModelInputs; rows: ModelRow[] } | null;
  /** With --profile: the app's profile against its floor's, per request. */
  profileAgainstFloor?: ProfileComparison | null;
}
