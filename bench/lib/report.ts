import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { EvaluatedMetric, ScenarioRecord, Target } from './scenario.js';

/** Render rows as a left-aligned text table with a header rule. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A number for humans: thousands separators, sensible precision. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function formatTarget(target: Target | undefined, unit = ''): string {
  return target === undefined ? '' : `${target.op === '>=' ? '≥' : '≤'}${formatNumber(target.value)}${unit}`;
}

function verdict(metric: EvaluatedMetric): string {
  if (metric.pass === null) return metric.check ? 'check?' : '';
  if (metric.check) return metric.pass ? 'ok' : 'FAIL (check)';
  return metric.pass ? 'pass' : 'miss';
}

/** A value with its unit: `0.94 ms`, `12,000`. */
function withUnit(value: number, unit: string): string {
  return `${formatNumber(value)}${unit === '' ? '' : ` ${unit}`}`;
}

function metricRow(scenario: string, metric: EvaluatedMetric): string[] {
  const target = [
    formatTarget(metric.target, metric.unit === '' ? '' : ` ${metric.unit}`),
    formatTarget(metric.ratioTarget, '×'),
  ]
    .filter((t) => t !== '')
    .join(', ');
  return [
    scenario,
    metric.name,
    withUnit(metric.value, metric.unit),
    target,
    // Hint: a ceiling is in its metric's unit (the ratio divides one by the other).
    metric.ceiling === undefined ? '' : `${withUnit(metric.ceiling.value, metric.unit)} (${metric.ceiling.name})`,
    metric.ratio === null ? '' : `${metric.ratio.toFixed(2)}×`,
    verdict(metric),
  ];
}

const HEADERS = ['scenario', 'metric', 'value', 'target', 'ceiling', 'ratio', 'result'] as const;

/** The table printed after each scenario. */
export function scenarioTable(record: ScenarioRecord): string {
  const lines = [
    `== ${record.name} (${(record.durationMs / 1000).toFixed(1)} s) ${record.ok ? '' : `ERROR: ${record.error ?? ''}`}`.trimEnd(),
  ];
  if (record.metrics.length > 0)
    lines.push(
      formatTable(
        HEADERS,
        record.metrics.map((m) => metricRow(record.name, m)),
      ),
    );
  if (record.warning !== undefined) lines.push(`  warning: ${record.warning}`);
  for (const note of record.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}

/** The final summary over all scenarios. */
export function summaryTable(records: readonly ScenarioRecord[]): string {
  const rows: string[][] = [];
  for (const record of records) {
    if (!record.ok)
      rows.push([record.name, 'error', record.error?.split('\n')[0]?.slice(0, 120) ?? '', '', '', '', 'ERROR']);
    for (const metric of record.metrics) rows.push(metricRow(record.name, metric));
  }
  const warnings = records.flatMap((r) => (r.warning === undefined ? [] : [`  warning: ${r.name}: ${r.warning}`]));
  return [formatTable(HEADERS, rows), ...warnings].join('\n');
}

/** Where and how this run happened. */
export interface MachineInfo {
  readonly cpu_model: string;
  readonly cpu_count: number;
  readonly total_memory_bytes: number;
  readonly os: string;
  readonly node: string;
  readonly date: string;
  readonly command: string;
  /** The servers' DURABILITY (from the environment; `full`, the server's default, when unset). */
  readonly durability: string;
  /** The commit measured, and whether src/ had uncommitted changes (the numbers then describe the working tree). */
  readonly git: { readonly commit: string; readonly src_dirty: boolean } | null;
}

function gitState(cwd: string): MachineInfo['git'] {
  try {
    const run = (...args: string[]) =>
      execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: run('rev-parse', 'HEAD'), src_dirty: run('status', '--porcelain', '--', 'src').length > 0 };
  } catch {
    return null;
  }
}

export function machineInfo(repoRoot: string): MachineInfo {
  const list = cpus();
  return {
    cpu_model: list[0]?.model ?? 'unknown',
    cpu_count: list.length,
    total_memory_bytes: totalmem(),
    os: `${platform()} ${release()}`,
    node: process.version,
    date: new Date().toISOString(),
    command: ['node', ...process.argv.slice(1)].join(' '),
    durability: process.env.DURABILITY ?? 'full',
    git: gitState(repoRoot),
  };
}

/** Write the machine-readable results. */
export function writeJson(path: string, body: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
}

/** How many CPU profiles under `dir` were written since `sinceMs` (epoch ms): this run's, not an earlier run's. */
export function profilesWritten(dir: string, sinceMs: number): number {
  let count = 0;
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' }))
    if (name.endsWith('.cpuprofile') && statSync(join(dir, name)).mtimeMs >= sinceMs) count++;
  return count;
}
