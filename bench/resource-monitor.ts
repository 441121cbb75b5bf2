// CPU seconds and peak resident memory of named process trees, over the windows a scenario is measured in.
import { listProcStats, processTree, treeMemoryBytes, ticksPerSecond } from './process-stats.js';

export type CpuSnapshot = Record<string, number>;

const SAMPLE_INTERVAL_MS = 500;

export class ResourceMonitor {
  private timer: NodeJS.Timeout | undefined;
  private attributedTo: string | undefined;
  /** Scenario → process → the highest resident memory sampled while it was measured (bytes). */
  private readonly peaks = new Map<string, Record<string, number>>();

  constructor(private readonly roots: Readonly<Record<string, number>>) {}

  get processNames(): string[] {
    return Object.keys(this.roots);
  }

  /** CPU seconds (user + system) each process tree has used so far. */
  cpu(): CpuSnapshot {
    const processes = listProcStats();
    const perSecond = ticksPerSecond();
    return Object.fromEntries(
      Object.entries(this.roots).map(([name, pid]) => [name, processTree(pid, processes).reduce((sum, entry) => sum + entry.cpuTicks, 0) / perSecond]),
    );
  }

  /** Memory samples from now on count towards `scenario`'s peaks, until `pause()`. */
  attribute(scenario: string): void {
    this.attributedTo = scenario;
    this.sample();
    this.timer ??= setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  pause(): void {
    this.sample();
    this.attributedTo = undefined;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Process → peak resident bytes while `scenario` was measured. */
  peaksOf(scenario: string): Record<string, number> {
    return { ...this.peaks.get(scenario) };
  }

  private sample(): void {
    const scenario = this.attributedTo;
    if (scenario === undefined) return;
    const processes = listProcStats();
    const peaks = this.peaks.get(scenario) ?? {};
    for (const [name, pid] of Object.entries(this.roots)) {
      const bytes = treeMemoryBytes(processTree(pid, processes).map((entry) => entry.pid));
      peaks[name] = Math.max(peaks[name] ?? 0, bytes);
    }
    this.peaks.set(scenario, peaks);
  }
}

/** Per process, the CPU seconds used between two snapshots. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return Object.fromEntries(Object.keys(after).map((name) => [name, Math.max(0, (after[name] ?? 0) - (before[name] ?? 0))]));
}
