import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chargeCall, readLedger } from '../../src/accounts/ledger.ts';
import { reconcile, writeOff } from '../../src/carrier/reconcile.ts';
import { loadMapping, readStatement } from '../../src/carrier/statement.ts';
import { keys } from '../../src/store/keys.ts';
import { generateCalls, PREMIUM_TRAFFIC_ENV, seedCalls, writeStatement } from '../../scripts/lib/carrier-statements.ts';
import { startTestApp, type TestApp } from '../support/harness.ts';
import { processEnv } from '../../src/config.ts';

describe('reconciling a premium-rate carrier statement with the calls dialpass answered (npm run carrier:reconcile)', function () {
  // Several tests start the command as a process of its own, a few seconds each on a loaded machine.
  this.timeout(180_000);
  let app: TestApp;
  let dir: string;
  const start = Date.parse('2026-11-01T00:00:00Z');
  const numbers = () => app.config.charging.premiumNumbers;
  before(async () => {
    app = await startTestApp(PREMIUM_TRAFFIC_ENV);
    dir = mkdtempSync(join(tmpdir(), 'dialpass-carrier-'));
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a month of correct traffic on numbers of different tariffs (300, 1,000 and 3,000 per call, 100 per started minute) reconciles with nothing to dispute and nothing billed beyond the tariffs', async () => {
    const calls = generateCalls(600, start, numbers());
    await seedCalls(app.redis, app.config, calls);
    expect(new Set(calls.map((c) => `${c.number.amount}/${c.number.per}`))).to.have.length(4);
    const statement = writeStatement(join(dir, 'month.csv'), calls);
    const report = await reconcile(app.redis, app.config, readStatement(statement.path));
    expect(report.totals.toDispute).to.equal(0);
    expect(report.carrierOnly).to.have.length(0);
    expect(report.ledgerOnly).to.have.length(0);
    expect(report.differences).to.have.length(0);
    expect(report.mispriced).to.deep.equal([]);
    expect(report.matched.count).to.equal(600);
    const billed = calls.reduce((sum, c) => sum + c.billed, 0);
    expect(report.totals).to.include({ carrierBilled: billed, ledgerRecorded: billed, agreed: billed, carrierOver: 0 });
    // Calls that bought nothing are billed all the same, and counted apart for customer care.
    expect(report.soldNothing).to.equal(calls.filter((c) => !c.sale).length).and.to.be.greaterThan(0);
    // A per-minute number bills by the call's length.
    const perMinute = calls.find((c) => c.number.per === 'minute' && c.durationSeconds > 120)!;
    expect(perMinute.billed).to.equal(100 * Math.ceil(perMinute.durationSeconds / 60));
  });

  it('a wrong tariff planted on one number is found on every call to it, with the tariff it should have billed', async () => {
    const calls = generateCalls(200, start + 20 * 86_400_000, numbers()).map((c) => ({ ...c, callSid: `${c.callSid}t`, memberId: `8${c.memberId.slice(1)}`, from: c.from.replace('+8190', '+8180') }));
    await seedCalls(app.redis, app.config, calls);
    const thousand = numbers().find((n) => n.amount === 1000)!;
    const statement = writeStatement(join(dir, 'wrong-tariff.csv'), calls, { wrongTariff: { to: thousand.to, amount: 1100 } });
    const report = await reconcile(app.redis, app.config, readStatement(statement.path));
    const onThatNumber = calls.filter((c) => c.number.to === thousand.to);
    expect(report.differences.map((d) => [d.call.callSid, d.call.to, d.call.amount, d.record.amount]).sort()).to.deep.equal(onThatNumber.map((c) => [c.callSid, thousand.to, 1000, 1100]).sort());
    expect(report.totals.carrierOver).to.equal(onThatNumber.length * 100);
    expect(report.carrierOnly).to.have.length(0);
  });

  it('with planted discrepancies, every one is found: calls the carrier did not bill, rows with no call, amounts billed wrong; the rest match, and the totals add up', async () => {
    const calls = generateCalls(300, start + 10 * 86_400_000, numbers()).map((c) => ({ ...c, callSid: `${c.callSid}p`, memberId: `7${c.memberId.slice(1)}`, from: c.from.replace('+8190', '+8170') }));
    await seedCalls(app.redis, app.config, calls);
    // Card charges are not the carrier's: a card call in the same period must not show as unbilled.
    const card = chargeCall({ ...app.config, charging: { ...app.config.charging, methods: { ...app.config.charging.methods, codes: 'card' } } }, calls[5]!.at, {
      memberId: '90000000001',
      kind: 'code_purchase',
      step: 'buy-x',
      callSid: 'CAcardcall',
      from: '+819000000001',
      amount: 1000,
      cap: 'none',
    });
    await app.redis.dpChargeApproval(...card.keys, ...card.argv, '');
    const planted = writeStatement(join(dir, 'statement.csv'), calls, { dropEvery: 50, misbillEvery: 40, extra: 4 });
    const report = await reconcile(app.redis, app.config, readStatement(planted.path));
    expect(report.ledgerOnly.map((c) => c.callSid).sort()).to.deep.equal(planted.dropped.map((c) => c.callSid).sort());
    expect(report.carrierOnly).to.have.length(4);
    expect(report.differences.map((d) => [d.call.callSid, d.difference]).sort()).to.deep.equal(planted.misbilled.map((m) => [m.call.callSid, m.difference]).sort());
    expect(report.matched.count).to.equal(300 - planted.dropped.length - planted.misbilled.length);
    const expected = calls.reduce((sum, c) => sum + c.billed, 0);
    expect(report.totals.ledgerRecorded).to.equal(expected);
    const droppedTotal = planted.dropped.reduce((sum, c) => sum + c.billed, 0);
    expect(report.totals.toDispute).to.equal(droppedTotal);
    expect(report.totals.carrierOver).to.equal(4 * 300 + planted.misbilled.length * 100);
    expect(report.totals.agreed).to.equal(expected - droppedTotal);
    expect(report.totals.carrierBilled).to.equal(report.totals.agreed + report.totals.carrierOver);
  });

  it('a premium-rate sale at a price its number does not bill is reported as mispriced', async () => {
    const thousand = numbers().find((n) => n.amount === 1000)!;
    const at = start + 40 * 86_400_000;
    const sale = chargeCall(app.config, at, { memberId: '60000000001', kind: 'activation', step: 'activate', callSid: 'CAmispriced', from: '+819060000001', to: thousand.to, amount: 300, cap: 'none' });
    await app.redis.dpChargeApproval(...sale.keys, ...sale.argv, '');
    const statement = join(dir, 'mispriced.csv');
    writeFileSync(statement, 'call_start,calling_number,called_number,duration_seconds,amount,currency\n');
    const report = await reconcile(app.redis, app.config, readStatement(statement), { fromMs: at - 1000, toMs: at + 1000 });
    expect(report.mispriced).to.deep.equal([{ entryId: '60000000001/CAmispriced/activate', amount: 300, to: thousand.to, tariff: 1000 }]);
  });

  it('carrier-billing payments on the statement are matched by the operator\'s reference (serverReferenceCode or paymentId): billed right, billed wrong, not billed, and a reference dialpass never charged', async () => {
    const billing = { ...app.config, charging: { ...app.config.charging, methods: { ...app.config.charging.methods, codes: 'carrier-billing' as const } } };
    const at = start + 60 * 86_400_000;
    const charges = [
      { callSid: 'CAbilling1', amount: 1000, paymentId: 'pay-0001', serverReference: 'dp-ref-0001' },
      { callSid: 'CAbilling2', amount: 3000, paymentId: 'pay-0002', serverReference: 'dp-ref-0002' },
      { callSid: 'CAbilling3', amount: 500, paymentId: 'pay-0003', serverReference: '' },
    ];
    for (const [n, c] of charges.entries()) {
      const charge = chargeCall(billing, at + n * 60_000, {
        memberId: '44400000001',
        kind: 'code_purchase',
        step: `buy-${n}`,
        callSid: c.callSid,
        from: '+819044400001',
        amount: c.amount,
        cap: 'none',
        payment: { confirmationCode: c.paymentId, maskedCard: '', ...(c.serverReference ? { serverReference: c.serverReference } : {}) },
      });
      await app.redis.dpChargeApproval(...charge.keys, ...charge.argv, '');
    }
    const statement = join(dir, 'carrier-billing.csv');
    const line = (minutes: number, amount: number, reference: string) => `${new Date(at + minutes * 60_000).toISOString()},+819044400001,,,${amount},JPY,${reference}`;
    writeFileSync(
      statement,
      [
        'call_start,calling_number,called_number,duration_seconds,amount,currency,reference',
        line(0, 1000, 'dp-ref-0001'), // by the serverReferenceCode dialpass sent: billed right
        line(1, 3300, 'pay-0002'), // by the operator's paymentId: billed 300 over
        line(3, 700, 'pay-9999'), // a payment dialpass never charged
      ].join('\n') + '\n',
    );
    const report = await reconcile(app.redis, app.config, readStatement(statement), { fromMs: at - 1000, toMs: at + 10 * 60_000 });
    expect(report.matched).to.deep.equal({ count: 1, amount: 1000 });
    expect(report.differences.map((d) => [d.record.line, d.call.entryIds, d.difference])).to.deep.equal([[3, ['44400000001/CAbilling2/buy-1'], 300]]);
    expect(report.ledgerOnly.map((c) => [c.entryIds, c.reference, c.amount])).to.deep.equal([[['44400000001/CAbilling3/buy-2'], 'pay-0003', 500]]);
    expect(report.carrierOnly.map((r) => [r.line, r.reference])).to.deep.equal([[4, 'pay-9999']]);
    expect(report.totals).to.include({ carrierBilled: 5000, ledgerRecorded: 4500, agreed: 4000, toDispute: 500, carrierOver: 1000 });
    // Written off like a call: by its entry ID, then no longer claimed.
    await writeOff(app.redis, '44400000001/CAbilling3/buy-2', 'refunded by the operator outside dialpass', app.clock.now);
    const after = await reconcile(app.redis, app.config, readStatement(statement), { fromMs: at - 1000, toMs: at + 10 * 60_000 });
    expect(after.ledgerOnly).to.deep.equal([]);
    expect(after.writtenOff.map((c) => c.reference)).to.deep.equal(['pay-0003']);
  });

  it('an unbilled call written off is reported as written off, not claimed, and stays in the ledger', async () => {
    const [call] = generateCalls(1, start + 50 * 86_400_000, numbers()).map((c) => ({ ...c, memberId: '55500000001', from: '+819055500001', callSid: 'CAwriteoff1' }));
    await seedCalls(app.redis, app.config, [call!]);
    const statement = join(dir, 'empty.csv');
    writeFileSync(statement, 'call_start,calling_number,called_number,duration_seconds,amount,currency\n');
    const window = { fromMs: call!.at - 1000, toMs: call!.at + 10_000 };
    const before = await reconcile(app.redis, app.config, readStatement(statement), window);
    const [unbilled] = before.ledgerOnly;
    expect(unbilled!.entryIds).to.have.length(1);
    const { already } = await writeOff(app.redis, unbilled!.entryIds[0]!, 'carrier lost the record', app.clock.now);
    expect(already).to.equal(false);
    expect((await writeOff(app.redis, unbilled!.entryIds[0]!, 'again', app.clock.now)).already).to.equal(true);
    const after = await reconcile(app.redis, app.config, readStatement(statement), window);
    expect(after.ledgerOnly).to.have.length(0);
    expect(after.writtenOff.map((c) => c.callSid)).to.deep.equal(['CAwriteoff1']);
    expect(after.totals.toDispute).to.equal(0);
    expect(await readLedger(app.redis, '55500000001')).to.have.length(1);
    expect(JSON.parse((await app.redis.hget(keys.carrierWriteOffs(), unbilled!.entryIds[0]!))!)).to.include({ reason: 'carrier lost the record', amount: 300 });
    await writeOff(app.redis, 'nobody/CAnone/activate', '', app.clock.now).then(
      () => expect.fail('an unknown entry cannot be written off'),
      (error: Error) => expect(error.message).to.include('no ledger entry'),
    );
  });

  it('a statement in another shape is read through a column-mapping file (semicolons, local times, national numbers)', async () => {
    const [call] = generateCalls(1, start + 60 * 86_400_000, numbers()).map((c) => ({ ...c, memberId: '55500000002', from: '+819055500002', callSid: 'CAmapped1' }));
    await seedCalls(app.redis, app.config, [call!]);
    const local = new Date(call!.at + 5_000 + 9 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    const statement = join(dir, 'other.csv');
    writeFileSync(statement, `Start Time;A-Number;Charge (JPY)\n${local};090-5550-0002;"${call!.billed}"\n`);
    const mappingFile = join(dir, 'mapping.json');
    writeFileSync(mappingFile, JSON.stringify({ columns: { callStart: 'Start Time', callingNumber: 'A-Number', amount: 'Charge (JPY)' }, delimiter: ';', utcOffset: '+09:00' }));
    const report = await reconcile(app.redis, app.config, readStatement(statement, loadMapping(mappingFile)), { fromMs: call!.at - 60_000, toMs: call!.at + 60_000 });
    expect(report.matched).to.deep.equal({ count: 1, amount: call!.billed });
  });

  /** The command line, as the operator runs it, against this test's keys. */
  const run = (...args: string[]) => {
    const env = { ...processEnv(), REDIS_URL: app.config.redis.url, REDIS_KEY_PREFIX: `${app.config.redis.keyPrefix}${app.keyPrefix}` };
    return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/carrier-reconcile.ts', ...args], { env, encoding: 'utf8' });
  };
  /** Bad input: one line on stderr saying what is wrong, exit status 2, no stack trace. */
  const expectRefused = (result: ReturnType<typeof run>, says: string) => {
    expect(result.status, result.stderr).to.equal(2);
    expect(result.stderr).to.include(says);
    expect(result.stderr.trim().split('\n'), result.stderr).to.have.length(1);
    expect(result.stderr).to.not.match(/\n\s+at |Error:|node:internal/);
  };

  it('the command line prints the summary with the totals, and says clearly when a column is missing', () => {
    const statement = join(dir, 'cli.csv');
    writeFileSync(statement, 'call_start,calling_number,called_number,duration_seconds,amount,currency\n2026-11-20T00:00:00Z,+819099990000,+815000001234,30,300,JPY\n');
    const ok = run(statement);
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/carrier only\s+1/).and.to.match(/carrier over\s+300 JPY/);
    writeFileSync(statement, 'start,from,amount\n2026-11-20T00:00:00Z,+819099990000,300\n');
    const bad = run(statement);
    expectRefused(bad, 'no column "call_start"');
    expect(bad.stderr).to.include('--mapping');
  });

  it('a statement with only the required columns (call start, calling number, amount) is read, as docs/CHARGING.md says', () => {
    const statement = join(dir, 'required-only.csv');
    writeFileSync(statement, 'call_start,calling_number,amount\n2026-11-21T00:00:00Z,+819099990001,300\n');
    const result = run(statement, '--json');
    expect(result.status, result.stderr).to.equal(0);
    const report = JSON.parse(result.stdout) as { carrierOnly: { callingNumber: string; currency: string; durationSeconds: number }[] };
    expect(report.carrierOnly.map((r) => [r.callingNumber, r.currency, r.durationSeconds])).to.deep.equal([['+819099990001', 'JPY', 0]]);
  });

  it('when the operator names a statement or mapping file that is not there, or gives a statement with no calls and no period, they get one clear line and exit status 2', function () {
    // Eleven runs of the command, each a Node process of its own: slow on a busy machine, not a speed test.
    this.timeout(180_000);
    expectRefused(run(join(dir, 'no-such-statement.csv')), 'no-such-statement.csv: cannot read the file (no such file)');
    expectRefused(run(dir), 'is a directory');

    const statement = join(dir, 'mapped.csv');
    writeFileSync(statement, 'call_start,calling_number,amount\n2026-11-21T00:00:00Z,+819099990001,300\n');
    expectRefused(run(statement, '--mapping', join(dir, 'no-such-mapping.json')), 'no-such-mapping.json: cannot read the file (no such file)');
    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, '{ columns: ');
    expectRefused(run(statement, '--mapping', notJson), 'not-json.json: not JSON');
    const wrongShape = join(dir, 'wrong-shape.json');
    writeFileSync(wrongShape, JSON.stringify({ columns: { callStart: 'Start' } }));
    expectRefused(run(statement, '--mapping', wrongShape), 'columns.callingNumber');

    const headerOnly = join(dir, 'header-only.csv');
    writeFileSync(headerOnly, 'call_start,calling_number,called_number,duration_seconds,amount,currency\n');
    expectRefused(run(headerOnly), 'has no calls');
    expect(run(headerOnly).stderr).to.include('--from and --to');
    const withPeriod = run(headerOnly, '--from', '2030-01-01T00:00:00Z', '--to', '2030-01-02T00:00:00Z');
    expect(withPeriod.status, withPeriod.stderr).to.equal(0);
    expect(withPeriod.stdout).to.match(/carrier billed\s+0 JPY/);

    const empty = join(dir, 'empty-file.csv');
    writeFileSync(empty, '');
    expectRefused(run(empty), 'the file is empty');
    writeFileSync(statement, 'call_start,calling_number,amount,duration_seconds\n2026-11-21T00:00:00Z,+819099990001,300,long\n');
    expectRefused(run(statement), 'mapped.csv:2: cannot read the duration');
    expectRefused(run('--write-off', 'nobody/CAnone/activate'), 'no ledger entry');
  });

  /** Reads a whole statement in-process as the command does; the error's message, or undefined. */
  const readError = async (path: string, limits?: { maxLineBytes: number; maxBytes: number }) => {
    try {
      for await (const record of readStatement(path, undefined, limits)) void record;
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  };

  it('a statement line of 20 MB, or a file over --max-bytes, is refused with one line and exit status 2 without reading it into memory', async () => {
    const huge = join(dir, 'one-huge-line.csv');
    // A header, then one 20 MB line with no newline (main read it whole: 800 MB; 150 MB ended in an out-of-memory abort).
    writeFileSync(huge, `call_start,calling_number,amount\n2026-11-21T00:00:00Z,+819099990001,${'9'.repeat(20 * 1024 * 1024)}\n`);
    expectRefused(run(huge), 'one-huge-line.csv:2: line longer than 4096 bytes');
    const small = join(dir, 'many-lines.csv');
    writeFileSync(small, `call_start,calling_number,amount\n${'2026-11-21T00:00:00Z,+819099990001,300\n'.repeat(100)}`);
    expectRefused(run(small, '--max-bytes', '1000'), 'larger than 1000 bytes');
    expect(await readError(small, { maxLineBytes: 4096, maxBytes: 100_000 })).to.equal(undefined);
    expect(await readError(small, { maxLineBytes: 20, maxBytes: 100_000 })).to.include('many-lines.csv:1: line longer than 20 bytes');
  });

  it('amounts are whole numbers of the minor unit, written in digits: empty, hex, exponent, negative, decimal or huge amounts are refused naming the line', async () => {
    const statement = join(dir, 'amounts.csv');
    for (const amount of ['', '0x10', '1e3', '1e308', '-300', '+300', '300.5', 'Infinity', '12345678901', '1,2,3']) {
      writeFileSync(statement, `call_start,calling_number,amount\n2026-11-21T00:00:00Z,+819099990001,300\n2026-11-21T00:10:00Z,+819099990001,"${amount}"\n`);
      expect(await readError(statement), amount).to.include('amounts.csv:3: cannot read the amount');
    }
    // The command line says so on one line, with exit status 2.
    expectRefused(run(statement), 'amounts.csv:3: cannot read the amount');
    for (const [amount, read] of [['300', 300], ['"1,000"', 1000], ['¥1200', 1200], ['0', 0]] as const) {
      writeFileSync(statement, `call_start,calling_number,amount\n2026-11-21T00:00:00Z,+819099990001,${amount}\n`);
      const amounts: number[] = [];
      for await (const record of readStatement(statement)) amounts.push(record.amount);
      expect(amounts, amount).to.deep.equal([read]);
    }
  });
});
