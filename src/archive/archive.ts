/**
 * Retention (docs/SCALING.md): member ledgers, merchants' redemption records and the operator
 * audit stream keep LEDGER_ONLINE_MONTHS whole months online; `npm run archive` exports what is
 * older to CSV and then trims exactly what it exported.
 *
 * One run is one directory `before-<YYYY-MM>-run-<time>` in the archive folder, with
 * ledger.csv, redemptions.csv, audit.csv and manifest.json, in two phases:
 *  1. export: every old entry is streamed to the CSV files (a SCAN per master, one key's old
 *     part at a time), the files are fsynced, and the manifest says `exported`;
 *  2. trim: driven by the files themselves, each key is trimmed by one script that removes only
 *     the exported entries (trim-ledger-head.lua, trim-redemptions.lua; XTRIM MINID for the
 *     stream), then the manifest says `trimmed`.
 * A crash during export leaves a run without `exported`: nothing was trimmed, so the next run
 * deletes it and exports afresh. A crash during trim leaves `exported`: the next run first
 * finishes that run's trim from its files (trimming is idempotent: what is gone is not found
 * again) and only then exports anything new. So every entry ends up in exactly one run's files.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LedgerEntry } from '../accounts/ledger.ts';
import { keys } from '../store/keys.ts';
import type { RedisClient } from '../store/redis.ts';
import { scanEachMaster } from '../store/scan.ts';
import { CsvFile, readCsv, type CsvValue } from '../shared/csv.ts';

export const ARCHIVE_FILES = { ledger: 'ledger.csv', redemptions: 'redemptions.csv', audit: 'audit.csv' } as const;
type Part = keyof typeof ARCHIVE_FILES;

const HEADERS: Record<Part, readonly string[]> = {
  ledger: ['member', 'id', 'at', 'at_ms', 'kind', 'method', 'amount', 'currency', 'call_sid', 'from', 'confirmation', 'card', 'code_last4', 'payment_request'],
  redemptions: ['merchant', 'redemption_id', 'at', 'at_ms', 'day', 'amount', 'code_hash', 'order_id', 'voided'],
  audit: ['stream_id', 'recorded_at', 'kind', 'at', 'actor', 'member', 'merchant', 'amount', 'currency', 'detail'],
};

/** Lines of a ledger read per command while looking for the end of its old part. */
const LEDGER_PAGE = 100;
const REDEMPTION_PAGE = 500;
const AUDIT_PAGE = 1000;
/**
 * IDs per trim script call, so no command grows with a key: a ledger's exported head is trimmed
 * 1,000 entries at a time, each step atomic and checked against the head as it is then.
 */
const TRIM_BATCH = 1000;
/** Keys trimmed at once (the client pipelines their commands); at most this many keys' IDs are held. */
const TRIM_KEYS_AT_ONCE = 100;

export interface ArchiveOptions {
  /** The archive folder (created if missing); each run makes a directory in it. */
  outDir: string;
  /** Now (ms): the cutoff is the start of the UTC month LEDGER_ONLINE_MONTHS before this one. */
  now: number;
  onlineMonths: number;
  voidWindowHours: number;
  /** `YYYY-MM`: archive what is older than that month instead. */
  before?: string;
  /** Count what would be archived; write and trim nothing. */
  dryRun?: boolean;
  /** Called once the files are on disk, before anything is trimmed (tests use it to act in between). */
  onExported?: (runDir: string) => Promise<void>;
}

export type PartCounts = Record<Part, number>;

export interface ArchiveReport {
  /** Entries before the start of this month (UTC) are archived. */
  cutoffMonth: string;
  cutoffMs: number;
  /** Redemptions also wait for the void window: the earlier of the cutoff and now minus the window. */
  redemptionCutoffMs: number;
  dryRun: boolean;
  /** This run's directory (absent on a dry run or when there was nothing to archive). */
  runDir?: string;
  exported: PartCounts;
  trimmed: PartCounts;
  /** Keys read: member ledgers and merchants' redemption lists. */
  keysScanned: { ledgers: number; merchants: number };
  /** Ledgers left untouched because their head was no longer what was exported (listed for the operator). */
  headChanged: string[];
  /** Ledger entries without an `id` stop a ledger's old part there (they cannot be trimmed safely): members concerned. */
  withoutId: string[];
  /** Earlier runs found unfinished: export discarded (nothing had been trimmed), or trim finished now. */
  discarded: string[];
  resumed: { runDir: string; trimmed: PartCounts }[];
}

interface Manifest {
  cutoffMonth: string;
  cutoffMs: number;
  redemptionCutoffMs: number;
  state: 'exporting' | 'exported' | 'trimmed';
  rows?: PartCounts;
  startedAt: string;
  trimmedAt?: string;
}

const zero = (): PartCounts => ({ ledger: 0, redemptions: 0, audit: 0 });

/** `YYYY-MM` → the start of that month, UTC (ms). */
export function monthStart(yearMonth: string): number {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(yearMonth);
  if (!match) throw new RangeError(`"${yearMonth}" is not a month such as 2025-11`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, 1);
}

/** The first month kept online: LEDGER_ONLINE_MONTHS whole months back from this month (UTC). */
export function cutoffMonthFor(now: number, onlineMonths: number): string {
  const date = new Date(now);
  const start = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - onlineMonths, 1));
  return start.toISOString().slice(0, 7);
}

const iso = (ms: number) => new Date(ms).toISOString();

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes the manifest so that a crash leaves the old one or the new one, never half of one. */
async function saveManifest(runDir: string, manifest: Manifest): Promise<void> {
  const path = join(runDir, 'manifest.json');
  await writeFile(`${path}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  fsyncPath(`${path}.tmp`);
  await rename(`${path}.tmp`, path);
  fsyncPath(runDir);
}

async function loadManifest(runDir: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(runDir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Where the rows of one run go: CSV files, or (dry run) only counted. */
interface Sink {
  write(part: Part, row: readonly CsvValue[]): Promise<void>;
  counts: PartCounts;
}

/**
 * A member's ledger entries older than the cutoff, from its head, a page at a time (the first
 * page already read with the rest of its SCAN batch); stops at the first newer entry.
 */
async function exportLedger(redis: RedisClient, memberId: string, firstPage: string[], cutoffMs: number, sink: Sink, report: ArchiveReport): Promise<void> {
  let page = firstPage;
  for (let start = 0; ; ) {
    for (const raw of page) {
      const entry = JSON.parse(raw) as LedgerEntry;
      if (entry.at >= cutoffMs) return;
      if (!entry.id) {
        report.withoutId.push(memberId);
        return;
      }
      await sink.write('ledger', [memberId, entry.id, iso(entry.at), entry.at, entry.kind, entry.method, entry.amount, entry.currency, entry.callSid, entry.from, entry.confirmation, entry.card, entry.codeLast4, entry.paymentRequest]);
    }
    if (page.length < LEDGER_PAGE) return;
    start += LEDGER_PAGE;
    page = await redis.lrange(keys.memberLedger(memberId), start, start + LEDGER_PAGE - 1);
  }
}

interface StoredRedemption {
  codeHash?: string;
  amount?: number;
  at?: number;
  day?: string;
  orderId?: string;
  voided?: boolean;
}

async function exportRedemptions(redis: RedisClient, merchantId: string, cutoffMs: number, sink: Sink): Promise<void> {
  const order = keys.merchantRedemptionOrder(merchantId);
  // Only entries before the cutoff are read, and nothing adds one there (a redemption is booked
  // at its own time, and the cutoff is past the void window), so paging by offset is stable.
  for (let offset = 0; ; offset += REDEMPTION_PAGE) {
    const flat = await redis.zrangebyscore(order, '-inf', `(${cutoffMs}`, 'WITHSCORES', 'LIMIT', offset, REDEMPTION_PAGE);
    if (flat.length === 0) return;
    const ids = flat.filter((_, i) => i % 2 === 0);
    const records = await redis.hmget(keys.merchantRedemptions(merchantId), ...ids);
    for (let i = 0; i < ids.length; i++) {
      const at = Number(flat[2 * i + 1]);
      const r = (records[i] ? JSON.parse(records[i]!) : {}) as StoredRedemption;
      await sink.write('redemptions', [merchantId, ids[i], iso(at), at, r.day, r.amount, r.codeHash, r.orderId, r.voided ? 'true' : 'false']);
    }
    if (ids.length < REDEMPTION_PAGE) return;
  }
}

/**
 * Audit events from the head of the stream while their `at` (the app's clock, as for ledgers and
 * redemptions) is before the cutoff. The stream is in the order events were recorded, so it stops
 * at the first newer one; a late replay recorded behind it waits for a later run.
 */
async function exportAudit(redis: RedisClient, cutoffMs: number, sink: Sink): Promise<void> {
  let start = '-';
  for (;;) {
    const batch = await redis.xrange(keys.opsAudit(), start, '+', 'COUNT', AUDIT_PAGE);
    for (const [id, flat] of batch) {
      const f: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
      const at = Number(f.at);
      if (!(at < cutoffMs)) return;
      await sink.write('audit', [id, iso(Number(id.split('-')[0])), f.kind, iso(at), f.actor, f.member, f.merchant, f.amount, f.currency, f.detail]);
    }
    if (batch.length < AUDIT_PAGE) return;
    start = `(${batch.at(-1)![0]}`;
  }
}

async function exportAll(redis: RedisClient, cutoffMs: number, redemptionCutoffMs: number, sink: Sink, report: ArchiveReport): Promise<void> {
  for await (const found of scanEachMaster(redis, keys.memberLedgerPattern())) {
    const members = found.map((key) => keys.memberOfLedgerKey(key)).filter((m): m is string => m !== undefined);
    // The batch's first pages at once: the client pipelines them (per node on a cluster).
    const firstPages = await Promise.all(members.map((m) => redis.lrange(keys.memberLedger(m), 0, LEDGER_PAGE - 1)));
    report.keysScanned.ledgers += members.length;
    for (let i = 0; i < members.length; i++) await exportLedger(redis, members[i]!, firstPages[i]!, cutoffMs, sink, report);
  }
  for await (const found of scanEachMaster(redis, keys.merchantRedemptionOrderPattern())) {
    for (const key of found) {
      const merchantId = keys.merchantOfRedemptionOrderKey(key);
      if (merchantId === undefined) continue;
      report.keysScanned.merchants++;
      await exportRedemptions(redis, merchantId, redemptionCutoffMs, sink);
    }
  }
  await exportAudit(redis, cutoffMs, sink);
}

/** The rows of one run's file, grouped by their first column (a key's rows are written together). */
async function* groupsOf(path: string): AsyncGenerator<{ owner: string; ids: string[] }> {
  let current: { owner: string; ids: string[] } | undefined;
  let header = true;
  for await (const [owner = '', id = ''] of readCsv(path)) {
    if (header) {
      header = false;
      continue;
    }
    if (current && current.owner !== owner) {
      yield current;
      current = undefined;
    }
    current ??= { owner, ids: [] };
    current.ids.push(id);
  }
  if (current) yield current;
}

/** A ledger's exported head, TRIM_BATCH entries at a time; stops (and reports) where the head is not what was exported. */
async function trimLedger(redis: RedisClient, memberId: string, ids: string[], headChanged: string[]): Promise<number> {
  let trimmed = 0;
  for (let i = 0; i < ids.length; i += TRIM_BATCH) {
    const n = await redis.dpTrimLedgerHead(keys.memberLedger(memberId), keys.memberLedgerArchived(memberId), ...ids.slice(i, i + TRIM_BATCH));
    if (n === 0) {
      headChanged.push(memberId);
      break;
    }
    trimmed += n;
  }
  return trimmed;
}

async function trimRedemptions(redis: RedisClient, merchantId: string, ids: string[], cutoffMs: number): Promise<number> {
  let trimmed = 0;
  for (let i = 0; i < ids.length; i += TRIM_BATCH) {
    trimmed += await redis.dpTrimRedemptions(keys.merchantRedemptions(merchantId), keys.merchantRedemptionOrder(merchantId), cutoffMs, ...ids.slice(i, i + TRIM_BATCH));
  }
  return trimmed;
}

/** Runs `trim` on each group of a file, TRIM_KEYS_AT_ONCE keys at a time; the sum of what it trimmed. */
async function trimGroups(path: string, trim: (owner: string, ids: string[]) => Promise<number>): Promise<number> {
  let total = 0;
  let pending: Promise<number>[] = [];
  const settle = async () => {
    for (const n of await Promise.all(pending)) total += n;
    pending = [];
  };
  for await (const { owner, ids } of groupsOf(path)) {
    pending.push(trim(owner, ids));
    if (pending.length >= TRIM_KEYS_AT_ONCE) await settle();
  }
  await settle();
  return total;
}

/** Phase 2: trims exactly what the run's files hold. Idempotent, so a crashed run's trim can simply run again. */
async function trimRun(redis: RedisClient, runDir: string, manifest: Manifest, headChanged: string[]): Promise<PartCounts> {
  const trimmed = zero();
  trimmed.ledger = await trimGroups(join(runDir, ARCHIVE_FILES.ledger), (memberId, ids) => trimLedger(redis, memberId, ids, headChanged));
  trimmed.redemptions = await trimGroups(join(runDir, ARCHIVE_FILES.redemptions), (merchantId, ids) => trimRedemptions(redis, merchantId, ids, manifest.redemptionCutoffMs));
  let lastAuditId: string | undefined;
  for await (const { owner: streamId } of groupsOf(join(runDir, ARCHIVE_FILES.audit))) lastAuditId = streamId;
  if (lastAuditId) {
    // Stream IDs only grow, so nothing can be added below the last exported one: MINID just past
    // it (one command, atomic) removes exactly the exported events.
    const [ms, seq] = lastAuditId.split('-').map(Number) as [number, number];
    trimmed.audit = await redis.xtrim(keys.opsAudit(), 'MINID', `${ms}-${seq + 1}`);
  }
  await saveManifest(runDir, { ...manifest, state: 'trimmed', trimmedAt: new Date().toISOString() });
  return trimmed;
}

const RUN_DIR = /^before-\d{4}-\d{2}-run-/;

/** Earlier runs that did not finish: an export is discarded (nothing of it was trimmed), a trim is finished. */
async function finishEarlierRuns(redis: RedisClient, outDir: string, report: ArchiveReport): Promise<void> {
  for (const name of (await readdir(outDir)).filter((n) => RUN_DIR.test(n)).sort()) {
    const runDir = join(outDir, name);
    const manifest = await loadManifest(runDir);
    if (manifest?.state === 'trimmed') continue;
    if (manifest?.state === 'exported') {
      report.resumed.push({ runDir, trimmed: await trimRun(redis, runDir, manifest, report.headChanged) });
    } else {
      await rm(runDir, { recursive: true, force: true });
      report.discarded.push(runDir);
    }
  }
}

/** `npm run archive`: see the comment at the top of this file. */
export async function archive(redis: RedisClient, options: ArchiveOptions): Promise<ArchiveReport> {
  const cutoffMonth = options.before ?? cutoffMonthFor(options.now, options.onlineMonths);
  const cutoffMs = monthStart(cutoffMonth);
  const redemptionCutoffMs = Math.min(cutoffMs, options.now - options.voidWindowHours * 3_600_000);
  const report: ArchiveReport = {
    cutoffMonth,
    cutoffMs,
    redemptionCutoffMs,
    dryRun: options.dryRun ?? false,
    exported: zero(),
    trimmed: zero(),
    keysScanned: { ledgers: 0, merchants: 0 },
    headChanged: [],
    withoutId: [],
    discarded: [],
    resumed: [],
  };
  if (options.dryRun) {
    const counts = report.exported;
    await exportAll(redis, cutoffMs, redemptionCutoffMs, { counts, write: async (part) => void counts[part]++ }, report);
    return report;
  }

  return withArchiveLock(redis, () => exportAndTrim(redis, options, report));
}

/** Two runs at once would export the same entries twice: at most one runs (per deployment), by a lock in Redis. */
export class ArchiveBusyError extends Error {
  override name = 'ArchiveBusyError';
}

/** How long the lock outlives a run that died (it is renewed every minute while the run lives). */
const LOCK_SECONDS = 300;

async function withArchiveLock<T>(redis: RedisClient, run: () => Promise<T>): Promise<T> {
  const token = randomUUID();
  if ((await redis.set(keys.archiveLock(), token, 'EX', LOCK_SECONDS, 'NX')) !== 'OK') {
    throw new ArchiveBusyError(`another npm run archive is running (or one died less than ${LOCK_SECONDS / 60} minutes ago): wait for it, then run again`);
  }
  const renew = setInterval(() => void redis.expire(keys.archiveLock(), LOCK_SECONDS).catch(() => undefined), 60_000);
  try {
    return await run();
  } finally {
    clearInterval(renew);
    if ((await redis.get(keys.archiveLock())) === token) await redis.del(keys.archiveLock());
  }
}

async function exportAndTrim(redis: RedisClient, options: ArchiveOptions, report: ArchiveReport): Promise<ArchiveReport> {
  const { cutoffMonth, cutoffMs, redemptionCutoffMs } = report;
  await mkdir(options.outDir, { recursive: true });
  await finishEarlierRuns(redis, options.outDir, report);

  const runDir = join(options.outDir, `before-${cutoffMonth}-run-${new Date().toISOString().replace(/[-:.]/g, '')}`);
  await mkdir(runDir);
  const manifest: Manifest = { cutoffMonth, cutoffMs, redemptionCutoffMs, state: 'exporting', startedAt: new Date().toISOString() };
  await saveManifest(runDir, manifest);
  const files = {
    ledger: await CsvFile.create(join(runDir, ARCHIVE_FILES.ledger), HEADERS.ledger),
    redemptions: await CsvFile.create(join(runDir, ARCHIVE_FILES.redemptions), HEADERS.redemptions),
    audit: await CsvFile.create(join(runDir, ARCHIVE_FILES.audit), HEADERS.audit),
  };
  const counts = report.exported;
  try {
    await exportAll(redis, cutoffMs, redemptionCutoffMs, { counts, write: (part, row) => (counts[part]++, files[part].write(row)) }, report);
  } finally {
    for (const file of Object.values(files)) await file.finish();
  }
  if (counts.ledger + counts.redemptions + counts.audit === 0) {
    // Nothing older than the cutoff: no run to keep, so a second run leaves no new files.
    await rm(runDir, { recursive: true, force: true });
    return report;
  }
  const exported = { ...manifest, state: 'exported' as const, rows: { ...counts } };
  await saveManifest(runDir, exported);
  report.runDir = runDir;
  await options.onExported?.(runDir);
  report.trimmed = await trimRun(redis, runDir, exported, report.headChanged);
  return report;
}
