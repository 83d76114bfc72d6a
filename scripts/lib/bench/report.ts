import type { BenchResults } from './run.ts';

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
    '',
    '| scenario | conns | req/s | p50 ms | p99 ms | max ms | errors | baseline | base req/s | base p99 ms | ratio (pair range) | CPU µs/req app (+Redis) | base CPU µs/req | app RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of results.rows) {
    const m = row.measured;
    const b = row.baselineMeasured;
    lines.push(
      `| ${row.scenario} | ${row.connections} | ${m.requestsPerSecond} | ${ms(m.latencyMs.p50)} | ${ms(m.latencyMs.p99)} | ${ms(m.latencyMs.max)} | ${m.errors} | ${row.baseline} | ${b.requestsPerSecond} | ${ms(b.latencyMs.p99)} | ${ratioWithRange(row.ratio, row.pairRatios)} | ${m.cpuMicrosPerRequest}${m.redisCpuMicrosPerRequest === undefined ? '' : ` (+${m.redisCpuMicrosPerRequest})`} | ${b.cpuMicrosPerRequest} | ${mb(m.peakRssBytes)} |`,
    );
  }
  for (const pending of results.pending) lines.push(`| ${pending.scenario} | – | pending | | | | | | | | | | | |`);
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
  lines.push('', '| target | measured | result |', '|---|---|---|');
  for (const target of results.targets) lines.push(`| ${target.target} | ${target.measured} | ${target.status} |`);

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
  }
  if (results.pending.length) {
    lines.push('', 'Pending scenarios (listed, not run):');
    for (const pending of results.pending) lines.push(`- ${pending.title}: ${pending.reason}`);
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
