// The bench chart's SVG (the PNG rendering needs a browser and is left to npm run bench): a row per scenario, bars on a log scale, text escaped.
import { describe, expect, it } from 'vitest';
import { chartSvg } from '../../bench/chart.js';
import type { BenchReport, ScenarioReport } from '../../bench/report.js';

function scenario(throughput: number | null, e2eP50: number | null = 10, e2eP99: number | null = 20): ScenarioReport {
  return { throughput, sustained: true, apiP50: null, apiP99: null, e2eP50, e2eP99, cpuPerOrder: {}, rss: {}, completions: 1, errors: 0, skipped: 0 };
}

function report(scenarios: Record<string, ScenarioReport>): BenchReport {
  return {
    machine: { cpus: 2, cpuModel: 'Vendor <Fast> & "Co"', memoryGiB: 8, freeMemoryGiB: 4, node: 'v20', kernel: '6.1' },
    config: { concurrency: 4 },
    startedAt: '2026-11-22T14:00:00.000Z',
    finishedAt: '2026-11-22T14:10:00.000Z',
    // Any name, so escaping can be tested; the bench's own are plain words.
    scenarios,
    ratios: {},
  };
}

/** The row labels: right-aligned text left of the bars, once per panel. */
const rowLabels = (svg: string) => [...svg.matchAll(/text-anchor="end">([^<]*)</g)].map((match) => match[1]);
/** Widths of the throughput bars, in row order. */
const throughputBars = (svg: string) => [...svg.matchAll(/<rect [^>]*width="([\d.]+)"[^>]*fill="#2f6db5"/g)].map((match) => Number(match[1]));

describe('chartSvg', () => {
  it('labels one row per scenario in each of the two panels, in report order', () => {
    const svg = chartSvg(report({ http: scenario(1000), skeleton: scenario(50), full: scenario(5) }));
    expect(rowLabels(svg)).toEqual(['http', 'skeleton', 'full', 'http', 'skeleton', 'full']);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('escapes names and machine text, so one odd character cannot break the picture', () => {
    const svg = chartSvg(report({ 'a<b>&"c': scenario(1) }));
    expect(rowLabels(svg)).toEqual(['a&#60;b&#62;&#38;&#34;c', 'a&#60;b&#62;&#38;&#34;c']);
    expect(svg).toContain('Vendor &#60;Fast&#62; &#38; &#34;Co&#34;');
    expect(svg).not.toContain('<b>');
    expect(svg).not.toContain('<Fast>');
  });

  it('draws longer bars for more throughput on a log scale, the largest across the panel and none at or below 0.1', () => {
    const svg = chartSvg(report({ http: scenario(10_000), skeleton: scenario(100), full: scenario(1), empty: scenario(0.1), amqp: scenario(null) }));
    const [http, skeleton, full, empty, amqp] = throughputBars(svg);
    // 900 wide, less the label column, the margin and room for the value.
    expect(http).toBeCloseTo(670, 5);
    // Log scale from 0.1: 100 is at log(1000)/log(100000) of the way, 1 at log(10)/log(100000).
    expect(skeleton).toBeCloseTo((670 * 3) / 5, 5);
    expect(full).toBeCloseTo(670 / 5, 5);
    expect(empty).toBe(0);
    expect(amqp).toBe(0);
    // No throughput reads as a dash, not as 0/s.
    expect(svg).toMatch(/font-size="11">—<\/text>/);
  });
});
