import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time of one process's profile. */
export interface ProfileSummary {
  scenario: string;
  file: string;
  totalMs: number;
  /** Time not idle; every share below is of this busy time. */
  busyMs: number;
  /** Self time by where the code lives: the app, each dependency, Node internals, GC, idle. */
  byArea: { area: string; ms: number; share: number }[];
  topFunctions: { fn: string; ms: number; share: number }[];
}

const ROOT = new URL('../../../', import.meta.url).pathname;

function areaOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return '(garbage collector)';
  if (functionName === '(program)') return '(program: native, outside JS)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/src/')) return 'dialpass src/';
  return url ? 'other' : '(native)';
}

/** Self time of a V8 CPU profile, grouped by area and by function: where the process spends its time. */
export function summariseCpuProfile(path: string, scenario: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; startTime: number; endTime: number };
  const totalHits = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0) || 1;
  const idleHits = profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const busyHits = Math.max(totalHits - idleHits, 1);
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = totalMs / totalHits;
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits || node.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const where = url ? `${url.replace(/^file:\/\//, '').replace(ROOT, '')}:${lineNumber + 1}` : '';
    const fn = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  }
  const ranked = (map: Map<string, number>) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).map(([name, hits]) => ({ name, ms: Math.round(hits * msPerHit), share: hits / busyHits }));
  return {
    scenario,
    file: relative(ROOT, path),
    totalMs: Math.round(totalMs),
    busyMs: Math.round(busyHits * msPerHit),
    byArea: ranked(byArea).map(({ name, ms, share }) => ({ area: name, ms, share })),
    topFunctions: ranked(byFunction).slice(0, top).map(({ name, ms, share }) => ({ fn: name, ms, share })),
  };
}

/** Where the time of a profiled scenario goes, against its floor: microseconds per request by area. */
export interface ProfileComparison {
  scenario: string;
  app: ProfileSummary;
  floor?: ProfileSummary;
  /** Requests each process answered while profiled (warm-ups and slices). */
  appRequests: number;
  floorRequests: number;
  /** Self time per request by area, app and floor, largest difference first. */
  byArea: { area: string; appMicros: number; floorMicros: number; overMicros: number }[];
}

/**
 * The profiled scenario's app against its floor, in microseconds of self time per request by
 * area: what the app spends above what the floor needs, and where (the MISSes' "where they go").
 */
export function floorProfileComparison(scenario: string, app: { path: string; requests: number }, floor?: { path: string; requests: number }): ProfileComparison {
  const appSummary = summariseCpuProfile(app.path, scenario);
  const floorSummary = floor ? summariseCpuProfile(floor.path, `${scenario} (floor)`) : undefined;
  const perRequest = (summary: ProfileSummary | undefined, requests: number) =>
    new Map((summary?.byArea ?? []).map((a) => [a.area, (a.ms * 1000) / Math.max(requests, 1)]));
  const appAreas = perRequest(appSummary, app.requests);
  const floorAreas = perRequest(floorSummary, floor?.requests ?? 0);
  const areas = [...new Set([...appAreas.keys(), ...floorAreas.keys()])];
  const byArea = areas
    .map((area) => {
      const appMicros = Math.round(appAreas.get(area) ?? 0);
      const floorMicros = Math.round(floorAreas.get(area) ?? 0);
      return { area, appMicros, floorMicros, overMicros: appMicros - floorMicros };
    })
    .sort((a, b) => b.overMicros - a.overMicros);
  return { scenario, app: appSummary, floor: floorSummary, appRequests: app.requests, floorRequests: floor?.requests ?? 0, byArea };
}
