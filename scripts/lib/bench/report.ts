import type { BenchResults } from './results.ts';

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const ms = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const ratioWithRange = (ratio: number, pairs: number[]) =>
  `${(ratio * 100).toFixed(0)}%${pairs.length > 1 ? ` (${(Math.min(...pairs) * 100).toFixed(0)}–${(Math.max(...pairs) * 100).toFixed(0)})` : ''}`;

/** The run as Markdown: the scenario table, targets, Redis memory, pending scenarios and the profile. */
export function renderMarkdown(results: BenchResults): string {
  const { machine, options } = results;
  const lines: string[] = [];
  lines.push(
    `Machine: ${machine.cpuModel}, ${machine.cpus} CPUs, ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}; Redis ${machine.redis}.`,
    `Run: ${results.startedAt}, ${options.durationSeconds} s measured after ${options.warmupSeconds} s warm-up per run, connections ${options.connections.join(', ')}.`,
  );
  if (!results.remote)
    lines.push(
      '',
      'Each scenario against its floor (floors.ts: the same checks and Redis round trips, a fixed answer) and against bare Express, in the same interleaved slices; ratios are medians of the slice rounds (their range in brackets).',
      '',
      '| scenario | conns | req/s | p50 ms | p99 ms | errors | of floor | of bare | floor / bare req/s | floor / bare p99 ms | CPU µs/req app / floor / bare | Redis CPU µs/req app / floor | app RSS MB |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
  for (const row of results.rows) {
    const m = row.measured;
    const b = row.baselineMeasured;
    const f = row.floor?.measured;
    lines.push(
      `| ${row.scenario} | ${row.connections} | ${m.requestsPerSecond} | ${ms(m.latencyMs.p50)} | ${ms(m.latencyMs.p99)} | ${m.errors}${f?.errors ? ` (floor ${f.errors})` : ''} | ${row.floor ? ratioWithRange(row.floor.ratio, row.floor.pairRatios) : '–'} | ${ratioWithRange(row.ratio, row.pairRatios)} | ${f ? f.requestsPerSecond : '–'} / ${b.requestsPerSecond} | ${f ? ms(f.latencyMs.p99) : '–'} / ${ms(b.latencyMs.p99)} | ${m.cpuMicrosPerRequest} / ${f ? f.cpuMicrosPerRequest : '–'} / ${b.cpuMicrosPerRequest} | ${m.redisCpuMicrosPerRequest ?? '–'} / ${f?.redisCpuMicrosPerRequest ?? '–'} | ${mb(m.peakRssBytes)} |`,
    );
  }
  for (const pending of results.pending) lines.push(`| ${pending.scenario} | – | pending | | | | | | | | | | |`);
  // What each request asks of Redis, at the highest concurrency run (the same at every concurrency).
  const commandRows = results.rows.filter((row) => row.measured.redisCommandsPerRequest && row.connections === Math.max(...options.connections));
  if (commandRows.length > 0) {
    const total = (commands: Record<string, number>) => Object.values(commands).reduce((sum, n) => sum + n, 0).toFixed(2);
    lines.push('', '| scenario | Redis commands per request | by command | floor |', '|---|---:|---|---|');
    for (const row of commandRows) {
      const commands = row.measured.redisCommandsPerRequest!;
      const floor = row.floor?.measured.redisCommandsPerRequest;
      lines.push(`| ${row.scenario} | ${total(commands)} | ${Object.entries(commands).map(([name, n]) => `${name} ${n}`).join(', ')} | ${floor ? `${total(floor)}: ${Object.entries(floor).map(([name, n]) => `${name} ${n}`).join(', ')}` : '–'} |`);
    }
  }
  if (results.remote) {
    lines.push('', `Against ${results.remote.url} (a running deployment; no baseline, no CPU or memory figures):`, '', '| scenario | conns | req/s | p50 ms | p99 ms | max ms | errors |', '|---|---:|---:|---:|---:|---:|---:|');
    for (const r of results.remote.rows) {
      const m = r.measured;
      lines.push(`| ${r.scenario} | ${r.connections} | ${m.requestsPerSecond} | ${ms(m.latencyMs.p50)} | ${ms(m.latencyMs.p99)} | ${ms(m.latencyMs.max)} | ${m.errors} |`);
    }
  }
  if (results.loginBursts) {
    lines.push(
      '',
      '| logins at once | bursts | ok | errors (statuses) | p50 ms | p99 ms | max ms | logins/s | CPU µs/login | logins/s per core | app RSS MB before → peak → after |',
      '|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const b of results.loginBursts) {
      const others = Object.entries(b.statuses).filter(([status]) => status !== '200');
      lines.push(
        `| ${b.simultaneous} | ${b.rounds} | ${b.ok} | ${b.errors}${others.length ? ` (${others.map(([s, n]) => `${s}: ${n}`).join(', ')})` : ''} | ${b.latencyMs.p50} | ${b.latencyMs.p99} | ${b.latencyMs.max} | ${b.loginsPerSecond} | ${b.cpuMicrosPerLogin} | ${b.loginsPerSecondPerCore} | ${b.rssBeforeMiB} → ${b.rssPeakMiB} → ${b.rssAfterMiB} |`,
      );
    }
  }
  const callsTable = (calls: NonNullable<BenchResults['calls']>, label: string) => {
    lines.push(
      '',
      `${label}: ${calls.calls.toLocaleString('en-US')} simultaneous simulated calls (pick-up → 1 → provisional ID → formal ID heard → hang-up), ${calls.errors} errors, all done in ${calls.wallMs} ms (${calls.callsPerSecond} calls/s)${calls.cpuMicrosPerCall ? `, app CPU ${calls.cpuMicrosPerCall} µs per call` : ''}.`,
      '',
      '| webhook | requests | p50 ms | p99 ms | max ms |',
      '|---|---:|---:|---:|---:|',
    );
    for (const w of calls.webhooks) lines.push(`| ${w.path} | ${w.requests} | ${w.p50} | ${w.p99} | ${w.max} |`);
    if (calls.errorSamples.length) lines.push('', `Errors, first few: ${calls.errorSamples.join('; ')}`);
  };
  if (results.calls) callsTable(results.calls, results.remote ? `Calls against ${results.remote.url}` : 'Calls, one app process');
  const scaling = results.scaling;
  if (scaling) {
    lines.push(
      '',
      `One app process against ${scaling.instances} (node:cluster on one port, as npm start runs them), same scenarios, interleaved slices; ${scaling.cores} cores shared by the app processes, Redis and the load generator${scaling.cores >= scaling.instances + 2 ? '' : ` (NOT JUDGED: ${scaling.instances} app processes, Redis and the load generator need ${scaling.instances + 2} cores; these ratios show contention, not scaling)`}:`,
      '',
      `| scenario | conns | 1 process req/s | ${scaling.instances} processes req/s | ratio (pair range) | p99 ms 1 → ${scaling.instances} | errors | CPU µs/req 1 → ${scaling.instances} | RSS MB 1 → ${scaling.instances} |`,
      '|---|---:|---:|---:|---:|---|---:|---|---|',
    );
    for (const r of scaling.rows) {
      lines.push(
        `| ${r.scenario} | ${r.connections} | ${r.one.requestsPerSecond} | ${r.many.requestsPerSecond} | ${r.ratio.toFixed(2)}×${r.pairRatios.length > 1 ? ` (${Math.min(...r.pairRatios).toFixed(2)}–${Math.max(...r.pairRatios).toFixed(2)})` : ''} | ${ms(r.one.latencyMs.p99)} → ${ms(r.many.latencyMs.p99)} | ${r.one.errors + r.many.errors} | ${r.one.cpuMicrosPerRequest} → ${r.many.cpuMicrosPerRequest} | ${mb(r.one.peakRssBytes)} → ${mb(r.many.peakRssBytes)} |`,
      );
    }
    if (scaling.loginBursts && results.loginBursts) {
      lines.push('', `| logins at once | 1 process logins/s | ${scaling.instances} processes logins/s | ratio | p99 ms 1 → ${scaling.instances} | errors 1 / ${scaling.instances} |`, '|---:|---:|---:|---:|---|---|');
      scaling.loginBursts.forEach((b, i) => {
        const one = results.loginBursts![i]!;
        lines.push(`| ${b.simultaneous} | ${one.loginsPerSecond} | ${b.loginsPerSecond} | ${(b.loginsPerSecond / Math.max(one.loginsPerSecond, 1)).toFixed(2)}× | ${one.latencyMs.p99} → ${b.latencyMs.p99} | ${one.errors} / ${b.errors} |`);
      });
    }
    if (scaling.calls) {
      callsTable(scaling.calls, `Calls, ${scaling.instances} app processes`);
      if (results.calls) lines.push('', `Calls/s, ${scaling.instances} processes over one: ${(scaling.calls.callsPerSecond / Math.max(results.calls.callsPerSecond, 1)).toFixed(2)}×.`);
    }
  }
  if (results.comparison) {
    const cmds = (m: { redisCommandsPerRequest?: Record<string, number> }) =>
      m.redisCommandsPerRequest ? Object.values(m.redisCommandsPerRequest).reduce((sum, n) => sum + n, 0).toFixed(1) : '–';
    lines.push(
      '',
      `This checkout against ${results.comparison.against} (its app on the same Redis, same scenarios, interleaved slices):`,
      '',
      '| scenario | conns | theirs req/s | ours req/s | ours/theirs (pair range) | p99 ms theirs → ours | errors | CPU µs/req app theirs → ours | Redis CPU µs/req theirs → ours | Redis commands/req theirs → ours |',
      '|---|---:|---:|---:|---:|---|---:|---|---|---|',
    );
    for (const r of results.comparison.rows) {
      lines.push(
        `| ${r.scenario} | ${r.connections} | ${r.theirs.requestsPerSecond} | ${r.ours.requestsPerSecond} | ${r.ratio.toFixed(2)}×${r.pairRatios.length > 1 ? ` (${Math.min(...r.pairRatios).toFixed(2)}–${Math.max(...r.pairRatios).toFixed(2)})` : ''} | ${ms(r.theirs.latencyMs.p99)} → ${ms(r.ours.latencyMs.p99)} | ${r.theirs.errors + r.ours.errors} | ${r.theirs.cpuMicrosPerRequest} → ${r.ours.cpuMicrosPerRequest} | ${r.theirs.redisCpuMicrosPerRequest ?? '–'} → ${r.ours.redisCpuMicrosPerRequest ?? '–'} | ${cmds(r.theirs)} → ${cmds(r.ours)} |`,
      );
    }
  }
  lines.push('', '| target | measured | result | for a MISS: what it is short by |', '|---|---|---|---|');
  for (const target of results.targets) lines.push(`| ${target.target} | ${target.measured} | ${target.status} | ${target.gap ?? ''} |`);
  const misses = results.targets.filter((t) => t.status === 'MISS' && t.gap).length;
  if (misses > 0 && !results.profileAgainstFloor)
    lines.push('', `Where a MISS's microseconds go: \`npm run bench -- --profile <scenario>\` profiles the app and its floor and prints both per request, by area.`);

  if (results.model) {
    const { inputs, rows } = results.model;
    lines.push(
      '',
      `Scaling model (docs/SCALING.md), on paper from this run: a call is 4 webhooks at ${inputs.appMicrosPerWebhook} µs of app CPU and ${inputs.redisMicrosPerWebhook} µs of Redis CPU each; its 2 operator events cost Redis ${inputs.opsMicrosPerEvent} µs each, all in the one {ops} slot. Saturation figures: plan for about 70 % of them.`,
      '',
      '| app cores | Redis masters | app allows calls/s | {ops} master allows | other masters allow | calls/s | webhooks/s | first to run out |',
      '|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const r of rows) lines.push(`| ${r.cores} | ${r.masters} | ${r.appCallsPerSecond} | ${r.opsMasterCallsPerSecond} | ${r.masters === 1 ? '–' : r.spreadCallsPerSecond} | ${r.callsPerSecond} | ${r.webhooksPerSecond} | ${r.firstToRunOut} |`);
  }
  const memory = results.redisMemory;
  if (memory) {
    lines.push('', '| Redis memory | bytes each | of which (MEMORY USAGE of one key) |', '|---|---:|---|');
    const sample = (keys: Record<string, number | null>) =>
      Object.entries(keys)
        .map(([name, bytes]) => `${name} ${bytes ?? '?'}`)
        .join(', ');
    lines.push(`| pending registration (${memory.pendingRegistration.count.toLocaleString('en-US')}) | ${memory.pendingRegistration.bytesEach} | ${sample(memory.pendingRegistration.sampleKeys)} |`);
    lines.push(`| activated account (${memory.account.count.toLocaleString('en-US')}) | ${memory.account.bytesEach} | ${sample(memory.account.sampleKeys)} |`);
    lines.push(`| payment code, whole purchase (${memory.paymentCode.count.toLocaleString('en-US')}) | ${memory.paymentCode.bytesEach} | ${sample(memory.paymentCode.sampleKeys)} |`);
    if (memory.redemption)
      lines.push(`| redemption of a code in full (${memory.redemption.count.toLocaleString('en-US')}; without the 24 h Idempotency-Key answer) | ${memory.redemption.bytesEach} | ${sample(memory.redemption.sampleKeys)} |`);
  }
  if (results.pending.length) {
    lines.push('', 'Pending scenarios (listed, not run):');
    for (const pending of results.pending) lines.push(`- ${pending.title}: ${pending.reason}`);
  }
  const against = results.profileAgainstFloor;
  if (against) {
    lines.push(
      '',
      `Where \`${against.scenario}\` spends its CPU against its floor (V8 profiles, self time per request; ${against.appRequests} requests to the app, ${against.floorRequests} to the floor; the profiler's own cost inflates both alike):`,
      '',
      '| area | app µs/req | floor µs/req | app over floor |',
      '|---|---:|---:|---:|',
    );
    for (const area of against.byArea.filter((a) => a.appMicros + a.floorMicros >= 1).slice(0, 14)) lines.push(`| ${area.area} | ${area.appMicros} | ${area.floorMicros} | ${area.overMicros} |`);
    const areas = against.byArea;
    const sum = (pick: (a: (typeof areas)[number]) => number) => areas.reduce((total, a) => total + pick(a), 0);
    lines.push(`| all | ${sum((a) => a.appMicros)} | ${sum((a) => a.floorMicros)} | ${sum((a) => a.overMicros)} |`);
  }
  const profile = results.profile;
  if (profile) {
    lines.push('', `CPU profile of the app during \`${profile.scenario}\` (${profile.file}, ${profile.busyMs} ms busy of ${profile.totalMs} ms), self time as a share of busy time:`, '');
    lines.push('| area | ms | share |', '|---|---:|---:|');
    for (const area of profile.byArea.slice(0, 12)) lines.push(`| ${area.area} | ${area.ms} | ${pct(area.share)} |`);
    lines.push('', '| function | ms | share |', '|---|---:|---:|');
    for (const fn of profile.topFunctions) lines.push(`| \`${fn.fn}\` | ${fn.ms} | ${pct(fn.share)} |`);
  }
  return lines.join('\n');
}
