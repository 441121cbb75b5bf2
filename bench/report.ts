// Turns the measured segments into the report: per scenario throughput, latencies, CPU per operation and peak memory, and ratios.
import { cpus, freemem, release, totalmem } from 'node:os';
import { judgeBacklog } from './backlog.js';
import type { SegmentResult } from './load-loop.js';
import type { ScenarioName } from './scenarios/scenario.js';
import { percentile, rounded } from './statistics.js';

export interface ScenarioReport {
  /** Operations per second over the measured windows whose backlog stayed flat (all windows when none did). */
  throughput: number | null;
  /** Whether every window's backlog stayed flat: false means the throughput was not sustainable at this load. */
  sustained: boolean;
  apiP50: number | null;
  apiP99: number | null;
  e2eP50: number | null;
  e2eP99: number | null;
  /** Process → CPU milliseconds per completed operation. */
  cpuPerOrder: Record<string, number | null>;
  /** Process → peak resident memory in MiB while the scenario was measured. */
  rss: Record<string, number | null>;
  completions: number;
  errors: number;
  firstError?: string;
  /** Open loop: arrivals not issued because too many were outstanding. */
  skipped: number;
}

export interface BenchReport {
  machine: { cpus: number; cpuModel: string; memoryGiB: number; freeMemoryGiB: number; node: string; kernel: string };
  config: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
  scenarios: Partial<Record<ScenarioName, ScenarioReport>>;
  /** "a/b": a's throughput as a fraction of b's, for the pairs the README discusses. */
  ratios: Record<string, number | null>;
}

/** The pairs whose ratio answers "what does the design cost": each is a/b of throughput. */
export const RATIO_PAIRS: ReadonlyArray<readonly [ScenarioName, ScenarioName]> = [
  ['full', 'skeletonLocal'],
  /** The hybrid against the same order as pure orchestration: above 1, the choreography pays for itself in throughput. */
  ['full', 'orchestrated'],
  ['full', 'skeleton'],
  ['full', 'empty'],
  ['skeleton', 'skeletonLocal'],
  ['skeletonLocal', 'empty'],
];

export function describeMachine(): BenchReport['machine'] {
  const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 10) / 10;
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: gib(totalmem()), freeMemoryGiB: gib(freemem()), node: process.version, kernel: release() };
}

export function summariseScenario(segments: readonly SegmentResult[], peaks: Record<string, number>, concurrency: number): ScenarioReport {
  const flat = segments.filter((segment) => judgeBacklog(segment.backlogStart, segment.backlogEnd, { concurrency, completions: segment.completions }).flat);
  const counted = flat.length > 0 ? flat : segments;
  const measuredMs = counted.reduce((sum, segment) => sum + segment.measuredMs, 0);
  const countedCompletions = counted.reduce((sum, segment) => sum + segment.completions, 0);
  const completions = segments.reduce((sum, segment) => sum + segment.completions, 0);
  const apiMs = segments.flatMap((segment) => segment.apiMs);
  const e2eMs = segments.flatMap((segment) => segment.e2eMs);
  const cpuSeconds: Record<string, number> = {};
  for (const segment of segments) for (const [name, seconds] of Object.entries(segment.cpu)) cpuSeconds[name] = (cpuSeconds[name] ?? 0) + seconds;
  const firstError = segments.find((segment) => segment.firstError)?.firstError;
  return {
    throughput: measuredMs > 0 ? rounded((countedCompletions * 1000) / measuredMs) : null,
    sustained: flat.length === segments.length,
    apiP50: rounded(percentile(apiMs, 50), 1),
    apiP99: rounded(percentile(apiMs, 99), 1),
    e2eP50: rounded(percentile(e2eMs, 50), 1),
    e2eP99: rounded(percentile(e2eMs, 99), 1),
    cpuPerOrder: Object.fromEntries(Object.entries(cpuSeconds).map(([name, seconds]) => [name, completions > 0 ? rounded((seconds * 1000) / completions, 2) : null])),
    rss: Object.fromEntries(Object.entries(peaks).map(([name, bytes]) => [name, rounded(bytes / 2 ** 20, 0)])),
    completions,
    errors: segments.reduce((sum, segment) => sum + segment.errors, 0),
    ...(firstError ? { firstError } : {}),
    skipped: segments.reduce((sum, segment) => sum + segment.skipped, 0),
  };
}

export function ratiosOf(scenarios: BenchReport['scenarios']): BenchReport['ratios'] {
  const ratios: BenchReport['ratios'] = {};
  for (const [a, b] of RATIO_PAIRS) {
    const top = scenarios[a]?.throughput;
    const bottom = scenarios[b]?.throughput;
    if (top === undefined || bottom === undefined) continue;
    ratios[`${a}/${b}`] = top !== null && bottom ? rounded(top / bottom, 2) : null;
  }
  return ratios;
}

/** The table printed at the end of a run: one row per scenario, then the CPU per operation of the busiest processes. */
export function formatTable(report: BenchReport): string {
  const show = (value: number | null | undefined) => (value === null || value === undefined ? '—' : String(value));
  const header = ['scenario', 'ops/s', 'api p50', 'api p99', 'e2e p50', 'e2e p99', 'errors', 'CPU ms/op (top 3)'];
  const rows = Object.entries(report.scenarios).map(([name, scenario]) => {
    const top = Object.entries(scenario.cpuPerOrder)
      .filter((entry): entry is [string, number] => entry[1] !== null && entry[1] > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([process, ms]) => `${process} ${ms}`)
      .join(', ');
    return [name, `${show(scenario.throughput)}${scenario.sustained ? '' : ' (rising backlog)'}`, show(scenario.apiP50), show(scenario.apiP99), show(scenario.e2eP50), show(scenario.e2eP99), String(scenario.errors), top || '—'];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  const ratios = Object.entries(report.ratios).map(([pair, ratio]) => `${pair} ${show(ratio)}`).join(', ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line), '', `latencies in ms; throughput ratios: ${ratios || '—'}`].join('\n');
}
