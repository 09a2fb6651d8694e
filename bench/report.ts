import type { LoadResult } from './load';

/** One scenario's figures; the JSON file is a list of these (the extra fields are optional). */
export interface ScenarioResult {
  scenario: string;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  baselineOpsPerSec: number;
  /** baseline ops/s ÷ SCIM ops/s: 1.25 means the SCIM endpoint does 25% less work per second. */
  ratio: number;
  /** CPU time of the server process per request: what our code (and express, the driver) cost, without the database's. */
  serverCpuMsPerOp: number;
  baselineServerCpuMsPerOp: number;
  /** Large-group scenario only: 10-member group GET ops/s ÷ this GET's ops/s (target ≤ 1.5). */
  smallGroupRatio?: number;
}

export interface SideResult extends LoadResult {
  serverCpuMsPerOp: number;
}

export interface ScenarioRun {
  name: string;
  description: string;
  singleResource: boolean;
  scim: SideResult;
  baseline: SideResult;
}

export const OVERHEAD_TARGET = 1.25;
export const LARGE_GROUP_TARGET = 1.5;

const round = (n: number, digits: number) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

export function toResults(runs: readonly ScenarioRun[]): ScenarioResult[] {
  const small = runs.find((r) => r.name === 'get-group-10-members');
  return runs.map((r) => {
    const result: ScenarioResult = {
      scenario: r.name,
      opsPerSec: round(r.scim.opsPerSec, 2),
      p50Ms: round(r.scim.p50Ms, 3),
      p99Ms: round(r.scim.p99Ms, 3),
      baselineOpsPerSec: round(r.baseline.opsPerSec, 2),
      ratio: round(r.baseline.opsPerSec / r.scim.opsPerSec, 3),
      serverCpuMsPerOp: round(r.scim.serverCpuMsPerOp, 3),
      baselineServerCpuMsPerOp: round(r.baseline.serverCpuMsPerOp, 3),
    };
    if (r.name === 'get-group-large-excluded-members' && small) result.smallGroupRatio = round(small.scim.opsPerSec / r.scim.opsPerSec, 3);
    return result;
  });
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n >= 1000) return n.toFixed(0);
  if (n >= 100) return n.toFixed(1);
  if (n >= 10) return n.toFixed(2);
  return n.toFixed(3);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatTable(runs: readonly ScenarioRun[], results: readonly ScenarioResult[]): string {
  const rows = runs.map((r, i) => {
    const res = results[i]!;
    let target = '';
    if (r.singleResource) target = res.ratio <= OVERHEAD_TARGET ? `ok (≤${OVERHEAD_TARGET})` : `MISSED (≤${OVERHEAD_TARGET})`;
    return [
      r.name,
      String(r.scim.ops),
      fmt(r.scim.opsPerSec),
      fmt(r.scim.p50Ms),
      fmt(r.scim.p99Ms),
      fmt(r.baseline.opsPerSec),
      fmt(r.baseline.p50Ms),
      fmt(r.baseline.p99Ms),
      res.ratio.toFixed(2),
      target,
      fmt(r.scim.serverCpuMsPerOp),
      fmt(r.baseline.serverCpuMsPerOp),
    ];
  });
  const out = [
    table(['scenario', 'ops', 'SCIM ops/s', 'p50 ms', 'p99 ms', 'base ops/s', 'base p50', 'base p99', 'ratio', 'target', 'CPU ms/op', 'base CPU'], rows),
    '',
    'ratio = baseline ops/s ÷ SCIM ops/s (1.25 = 25% overhead).',
    'CPU ms/op = CPU time of the server process per request (user + system): the cost of our code, without database time.',
  ];
  const large = results.find((r) => r.smallGroupRatio !== undefined);
  if (large?.smallGroupRatio !== undefined) {
    const verdict = large.smallGroupRatio <= LARGE_GROUP_TARGET ? 'ok' : 'MISSED';
    out.push(`10-member group GET ops/s ÷ large group GET ops/s = ${large.smallGroupRatio.toFixed(2)} (target ≤ ${LARGE_GROUP_TARGET}: ${verdict}).`);
  }
  out.push('', ...runs.map((r) => `  ${r.name}: ${r.description}`));
  return out.join('\n');
}
