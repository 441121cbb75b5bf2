// The bench report: what the measured segments add up to per scenario, the throughput ratios, and the table printed at the end.
import { describe, expect, it } from 'vitest';
import type { SegmentResult } from '../../bench/load-loop.js';
import { formatTable, ratiosOf, summariseScenario, type BenchReport, type ScenarioReport } from '../../bench/report.js';

const MiB = 2 ** 20;

function segment(overrides: Partial<SegmentResult>): SegmentResult {
  return {
    completions: 0,
    errors: 0,
    skipped: 0,
    apiMs: [],
    e2eMs: [],
    measuredMs: 1000,
    backlogStart: { outstanding: 4, queued: 0 },
    backlogEnd: { outstanding: 4, queued: 0 },
    cpu: {},
    ...overrides,
  };
}

// Concurrency 4: a flat segment's backlog stays put; a rising one grows by far more than the allowance (15 for 300 completions).
const flatSegment = segment({ completions: 100, apiMs: [1, 2], e2eMs: [10, 20], cpu: { api: 0.2 } });
const risingSegment = segment({
  completions: 300,
  apiMs: [3, 4, 5],
  e2eMs: [30, 40, 50],
  backlogEnd: { outstanding: 4, queued: 100 },
  cpu: { api: 0.6, worker: 0.4 },
  errors: 2,
  firstError: 'order ended REJECTED',
  skipped: 7,
});

describe('summariseScenario', () => {
  it('counts throughput only over the windows whose backlog stayed flat, and says the load was not sustained', () => {
    const report = summariseScenario([flatSegment, risingSegment], {}, 4);
    // 100 completions in the flat second; the rising segment's 300 would have made it 200/s.
    expect(report.throughput).toBe(100);
    expect(report.sustained).toBe(false);
    expect(report.completions).toBe(400);
  });

  it('counts every window when none stayed flat, still saying it was not sustained', () => {
    const report = summariseScenario([risingSegment, segment({ ...risingSegment, completions: 100, measuredMs: 3000 })], {}, 4);
    expect(report.throughput).toBe(100);
    expect(report.sustained).toBe(false);
  });

  it('is sustained when every window stayed flat', () => {
    const report = summariseScenario([flatSegment, segment({ ...flatSegment, completions: 200, measuredMs: 500 })], {}, 4);
    // 300 completions in 1.5 s.
    expect(report.throughput).toBe(200);
    expect(report.sustained).toBe(true);
  });

  it('takes latency percentiles over the samples of every window, flat or not', () => {
    const report = summariseScenario([flatSegment, risingSegment], {}, 4);
    // All five: 10 20 30 40 50 and 1 2 3 4 5; over the flat window alone the medians would be 10 and 1.
    expect(report).toMatchObject({ e2eP50: 30, e2eP99: 50, apiP50: 3, apiP99: 5 });
  });

  it('gives CPU in milliseconds per completed operation for each process, and peak memory in MiB', () => {
    const report = summariseScenario([flatSegment, risingSegment], { api: 150.4 * MiB, worker: 80.6 * MiB }, 4);
    // api: 0.8 s over 400 completions; worker: 0.4 s over 400.
    expect(report.cpuPerOrder).toEqual({ api: 2, worker: 1 });
    expect(report.rss).toEqual({ api: 150, worker: 81 });
  });

  it('adds up errors and skipped arrivals and keeps the first error message', () => {
    const report = summariseScenario([flatSegment, risingSegment, segment({ errors: 1, firstError: 'later' })], {}, 4);
    expect(report).toMatchObject({ errors: 3, firstError: 'order ended REJECTED', skipped: 7 });
    expect(summariseScenario([flatSegment], {}, 4)).not.toHaveProperty('firstError');
  });

  it('shows nothing rather than a made-up number when nothing was measured or completed', () => {
    const report = summariseScenario([segment({ measuredMs: 0, cpu: { api: 0.1 } })], {}, 4);
    expect(report).toMatchObject({ throughput: null, apiP50: null, e2eP99: null, cpuPerOrder: { api: null } });
  });
});

function scenario(throughput: number | null, overrides: Partial<ScenarioReport> = {}): ScenarioReport {
  return { throughput, sustained: true, apiP50: null, apiP99: null, e2eP50: 12.5, e2eP99: 40, cpuPerOrder: {}, rss: {}, completions: 10, errors: 0, skipped: 0, ...overrides };
}

describe('ratiosOf', () => {
  it("gives each pair's throughput as a fraction, null where one side has none, and leaves out pairs not run", () => {
    const ratios = ratiosOf({ full: scenario(10), skeletonLocal: scenario(30), skeleton: scenario(20), empty: scenario(0), orchestrated: scenario(8) });
    expect(ratios).toEqual({
      'full/skeletonLocal': 0.33,
      'full/orchestrated': 1.25,
      'full/skeleton': 0.5,
      // Nothing to divide by.
      'full/empty': null,
      'skeleton/skeletonLocal': 0.67,
      'skeletonLocal/empty': null,
    });
    expect(ratiosOf({ full: scenario(null), skeleton: scenario(20) })).toEqual({ 'full/skeleton': null });
    expect(ratiosOf({ http: scenario(500) })).toEqual({});
  });
});

describe('formatTable', () => {
  const report: BenchReport = {
    machine: { cpus: 2, cpuModel: 'Test CPU', memoryGiB: 8, freeMemoryGiB: 4, node: 'v20', kernel: '6.1' },
    config: { concurrency: 4 },
    startedAt: '2026-11-22T14:00:00.000Z',
    finishedAt: '2026-11-22T14:10:00.000Z',
    scenarios: {
      http: scenario(1234.5, { apiP50: 0.8, cpuPerOrder: { api: 0.4, rabbitmq: 0, worker: null } }),
      full: scenario(21.3, { sustained: false, errors: 2, cpuPerOrder: { api: 3, worker: 9, temporal: 12, rabbitmq: 1 } }),
    },
    ratios: { 'full/skeleton': 0.5 },
  };
  const lines = formatTable(report).split('\n');

  it('prints one row per scenario, marking the throughput that was not sustained', () => {
    const http = lines.find((line) => line.startsWith('http '));
    const full = lines.find((line) => line.startsWith('full '));
    expect(http).toMatch(/^http\s+1234\.5\s+0\.8\s+—\s+12\.5\s+40\s+0\s+api 0\.4\s*$/);
    expect(http).not.toContain('rising backlog');
    expect(full).toContain('21.3 (rising backlog)');
  });

  it('lists the three busiest processes by CPU per operation, busiest first', () => {
    expect(lines.find((line) => line.startsWith('full '))).toMatch(/temporal 12, worker 9, api 3\s*$/);
  });

  it('ends with the throughput ratios', () => {
    expect(lines.at(-1)).toBe('latencies in ms; throughput ratios: full/skeleton 0.5');
  });

  it('lines the columns up under the header', () => {
    const header = lines[0]!;
    const column = header.indexOf('ops/s');
    expect(lines.find((line) => line.startsWith('full '))!.indexOf('21.3')).toBe(column);
    expect(lines.find((line) => line.startsWith('http '))!.indexOf('1234.5')).toBe(column);
  });
});
