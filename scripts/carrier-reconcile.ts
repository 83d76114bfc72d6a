// npm run carrier:reconcile -- statement.csv: matches a carrier's statement (premium-rate calls,
// carrier-billing payments) to the ledger and reports what to invoice or dispute. See docs/CHARGING.md.
import { parseArgs } from 'node:util';
import { reconcile, writeOff, WriteOffError, type ReconcileReport } from '../src/carrier/reconcile.ts';
import { DEFAULT_LIMITS, defaultMapping, loadMapping, readStatement, StatementError } from '../src/carrier/statement.ts';
import { operatorSetup } from './lib/operator-redis.ts';

const USAGE = `usage: npm run carrier:reconcile -- STATEMENT.csv [options]
       npm run carrier:reconcile -- --write-off ENTRY_ID [--reason TEXT]

  --mapping FILE     column mapping (JSON) for a statement not in dialpass's CSV shape (docs/CHARGING.md)
  --tolerance SEC    a carrier call matches ledger charges from its start minus SEC to its end plus SEC (default 120)
  --from ISO --to ISO  the period the statement covers (default: its first to its last call)
  --max-bytes N      refuse a statement larger than N bytes (default 2 GiB; a line may be 4,096 bytes at most)
  --json             the whole report as JSON (every discrepancy), instead of the summary
  --write-off ID     mark an unmatched ledger entry written off (recorded beside the ledger, never deleted)
  --reason TEXT      why, kept with the write-off
  --help

exit status: 0 done; 1 bad configuration or no Redis; 2 bad input (arguments, statement, mapping, entry ID)`;

const fail = (message: string, code = 2): never => {
  console.error(`carrier:reconcile: ${message}`);
  process.exit(code);
};

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        mapping: { type: 'string' },
        tolerance: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean' },
        'max-bytes': { type: 'string' },
        'write-off': { type: 'string' },
        reason: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${USAGE}`);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const { config, redis } = operatorSetup(fail);
const yen = (n: number) => `${n.toLocaleString('en-US')} ${config.currency}`;

function printSummary(report: ReconcileReport, seconds: number) {
  const when = (ms: number) => new Date(ms).toISOString();
  const lines = [
    `period             ${when(report.period.fromMs)} … ${when(report.period.toMs)}`,
    `ledger entries     ${report.ledgerEntriesRead} read in ${seconds.toFixed(2)} s (only the last LEDGER_ONLINE_MONTHS=${config.ledgerOnlineMonths} months are online; older entries are in the archive: npm run archive, docs/SCALING.md)`,
    `matched            ${report.matched.count} calls, ${yen(report.matched.amount)}`,
    `amount differences ${report.differences.length}`,
    ...report.differences.slice(0, 20).map((d) =>
      d.call.reference
        ? `  line ${d.record.line}: carrier ${yen(d.record.amount)}, charged ${yen(d.call.amount)} (carrier billing ${d.call.reference}; ${d.call.entryIds.join(' ')})`
        : `  line ${d.record.line}: carrier ${yen(d.record.amount)}, tariff ${yen(d.call.amount)} (${d.call.to || 'number unknown'}${d.call.durationSeconds === undefined ? '' : `, ${d.call.durationSeconds} s`}; ${d.call.callSid})`,
    ),
    `carrier only       ${report.carrierOnly.length} (billed by the carrier, no call dialpass answered)`,
    ...report.carrierOnly.slice(0, 20).map((r) => `  line ${r.line}: ${r.callingNumber} ${when(r.startMs)} ${yen(r.amount)}${r.reference ? ` (reference ${r.reference}: no such carrier-billing charge)` : ''}`),
    `dialpass only      ${report.ledgerOnly.length} (answered on a premium-rate number, or charged by carrier billing, not billed by the carrier)`,
    ...report.ledgerOnly.slice(0, 20).map((c) => `  ${(c.entryIds.length ? c.entryIds : [c.callSid]).join(' ')}: ${c.from} → ${c.reference ? `carrier billing ${c.reference}` : c.to || '?'} ${when(c.at)} ${yen(c.amount)}`),
    `written off        ${report.writtenOff.length}`,
    `sold nothing       ${report.soldNothing} (billed calls in which the caller bought nothing: the call is the price all the same)`,
    `mispriced entries  ${report.mispriced.length} (premium-rate sales at a price their number does not bill)`,
    '',
    `carrier billed     ${yen(report.totals.carrierBilled)}`,
    `expected           ${yen(report.totals.ledgerRecorded)}  (each call at the tariff of the number it reached: PREMIUM_RATE_NUMBERS; each carrier-billing charge at its amount)`,
    `agreed (invoice)   ${yen(report.totals.agreed)}`,
    `to dispute         ${yen(report.totals.toDispute)}  (unbilled or short-billed charges: claim from the carrier)`,
    `carrier over       ${yen(report.totals.carrierOver)}  (billed beyond the ledger: refund callers or query the carrier)`,
  ];
  if (report.differences.length + report.carrierOnly.length + report.ledgerOnly.length > 60) lines.push('', '(lists cut at 20 each: --json for all)');
  console.log(lines.join('\n'));
}

try {
  if (values['write-off']) {
    const { entry, already } = await writeOff(redis, values['write-off'], values.reason ?? '', Date.now());
    console.log(already ? `already written off: ${values['write-off']}` : `written off: ${values['write-off']} (${entry.kind}, ${yen(entry.amount)}); the ledger entry and the call's record are kept`);
  } else {
    const file = positionals[0] ?? fail(`name the carrier statement (CSV)\n\n${USAGE}`);
    const mapping = values.mapping ? loadMapping(values.mapping) : defaultMapping();
    const tolerance = values.tolerance === undefined ? undefined : Number(values.tolerance);
    if (tolerance !== undefined && !(tolerance >= 0)) fail('--tolerance must be a number of seconds');
    const time = (name: 'from' | 'to') => {
      const raw = values[name];
      if (raw === undefined) return undefined;
      const ms = Date.parse(raw);
      return Number.isFinite(ms) ? ms : fail(`--${name} must be a date and time such as 2026-12-01T00:00:00+09:00`);
    };
    const maxBytes = values['max-bytes'] === undefined ? DEFAULT_LIMITS.maxBytes : /^\d{1,13}$/.test(values['max-bytes']) ? Number(values['max-bytes']) : fail('--max-bytes must be a whole number of bytes');
    const started = performance.now();
    const report = await reconcile(redis, config, readStatement(file, mapping, { ...DEFAULT_LIMITS, maxBytes }), { toleranceMs: tolerance === undefined ? undefined : tolerance * 1000, fromMs: time('from'), toMs: time('to') });
    const seconds = (performance.now() - started) / 1000;
    // A statement with no calls has no first and last call to take the period from.
    if (!Number.isFinite(report.period.fromMs) || !Number.isFinite(report.period.toMs)) {
      fail(`${file} has no calls, so it says nothing of the period it covers: give --from and --to`);
    }
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else printSummary(report, seconds);
  }
} catch (error) {
  // Bad input (a file that cannot be read, a column missing, an unknown entry): one line, exit 2.
  if (error instanceof StatementError || error instanceof WriteOffError) fail(error.message);
  throw error;
} finally {
  redis.disconnect();
}
