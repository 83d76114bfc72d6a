// npm run archive -- --out DIR [--before YYYY-MM] [--dry-run]: exports ledger entries, merchants'
// redemption records and audit events older than the online window to CSV, then trims exactly
// those. See docs/SCALING.md (Retention) and src/archive/archive.ts.
import { parseArgs } from 'node:util';
import { archive, ArchiveBusyError, monthStart, type ArchiveReport } from '../src/archive/archive.ts';
import { operatorSetup } from './lib/operator-redis.ts';

const USAGE = `usage: npm run archive -- --out DIR [--before YYYY-MM] [--dry-run] [--json]

  --out DIR          the archive folder; each run writes DIR/before-<YYYY-MM>-run-<time>/ with
                     ledger.csv, redemptions.csv, audit.csv and manifest.json
  --before YYYY-MM   archive what is older than this month (default: LEDGER_ONLINE_MONTHS whole
                     months back from this month, UTC)
  --dry-run          count what would be archived; write and trim nothing
  --json             the report as JSON`;

const fail = (message: string, code = 2): never => {
  console.error(`archive: ${message}`);
  process.exit(code);
};

const { values } = (() => {
  try {
    return parseArgs({ options: { out: { type: 'string' }, before: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${USAGE}`);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const outDir = values.out ?? (values['dry-run'] ? '' : fail(`name the archive folder with --out\n\n${USAGE}`));
if (values.before !== undefined) {
  try {
    monthStart(values.before);
  } catch (error) {
    fail((error as Error).message);
  }
}

const { config, redis } = operatorSetup(fail);

function printSummary(r: ArchiveReport, seconds: number) {
  const line = (label: string, c: ArchiveReport['exported']) => `${label.padEnd(18)} ledger ${c.ledger}, redemptions ${c.redemptions}, audit ${c.audit}`;
  const lines = [
    `cutoff             before ${r.cutoffMonth} (${new Date(r.cutoffMs).toISOString()}); redemptions before ${new Date(r.redemptionCutoffMs).toISOString()}`,
    ...r.discarded.map((d) => `discarded          ${d} (its export never finished; nothing of it had been trimmed)`),
    ...r.resumed.map((x) => line(`finished trim of ${x.runDir}:`, x.trimmed)),
    `keys read          ${r.keysScanned.ledgers} ledgers, ${r.keysScanned.merchants} merchants`,
    line(r.dryRun ? 'would export' : 'exported', r.exported),
    ...(r.dryRun ? ['dry run            nothing written, nothing trimmed'] : [line('trimmed', r.trimmed), `files              ${r.runDir ?? '(none: nothing older than the cutoff)'}`]),
    ...(r.headChanged.length ? [`not trimmed        ${r.headChanged.length} ledger(s) whose head was not the exported entries (trimmed by an earlier attempt, or changed): ${r.headChanged.slice(0, 20).join(' ')}`] : []),
    ...(r.withoutId.length ? [`entries without id stop the old part of ${r.withoutId.length} ledger(s): ${r.withoutId.slice(0, 20).join(' ')}`] : []),
    `time               ${seconds.toFixed(2)} s`,
  ];
  console.log(lines.join('\n'));
}

try {
  const started = performance.now();
  const report = await archive(redis, { outDir, now: Date.now(), onlineMonths: config.ledgerOnlineMonths, voidWindowHours: config.voidWindowHours, before: values.before, dryRun: values['dry-run'] });
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else printSummary(report, (performance.now() - started) / 1000);
} catch (error) {
  if (error instanceof ArchiveBusyError) fail(error.message, 1);
  throw error;
} finally {
  redis.disconnect();
}
