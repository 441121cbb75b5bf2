// Draws a run's throughput and end-to-end latency per scenario as SVG, and renders it to PNG with headless Chromium.
import { existsSync } from 'node:fs';
import { chromium as playwright } from 'playwright-core';
import { chromiumExecutable } from '../scripts/system-packages/packages.js';
import type { BenchReport } from './report.js';

const WIDTH = 900;
const PANEL_HEIGHT = 260;
const LEFT = 120;
const RIGHT = 30;
/** Where the logarithmic axis starts. */
const FLOOR = 0.1;

/** Two horizontal bar panels: operations per second, and end-to-end p50/p99 in ms; one row per scenario. */
export function chartSvg(report: BenchReport): string {
  const rows = Object.entries(report.scenarios);
  const rowHeight = Math.min(34, (PANEL_HEIGHT - 40) / Math.max(1, rows.length));
  const height = 2 * PANEL_HEIGHT + 60;
  const escape = (text: string) => text.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);
  const panel = (
    top: number,
    title: string,
    values: Array<{ name: string; bars: Array<{ value: number | null; colour: string; label: string }> }>,
  ) => {
    // Logarithmic: the scenarios span four orders of magnitude (an HTTP answer to an order), and a linear axis would
    // leave every workflow scenario a sliver. Bars start at 0.1.
    const max = Math.max(1, ...values.flatMap((row) => row.bars.map((bar) => bar.value ?? 0)));
    const span = WIDTH - LEFT - RIGHT - 80;
    const length = (value: number) => (value <= FLOOR ? 0 : (span * Math.log10(value / FLOOR)) / Math.log10(max / FLOOR));
    const parts = [`<text x="${LEFT}" y="${top + 18}" font-weight="bold">${escape(title)}</text>`];
    values.forEach((row, index) => {
      const y = top + 34 + index * rowHeight;
      parts.push(`<text x="${LEFT - 8}" y="${y + rowHeight / 2 + 4}" text-anchor="end">${escape(row.name)}</text>`);
      const barHeight = (rowHeight - 6) / row.bars.length;
      row.bars.forEach((bar, barIndex) => {
        const barY = y + barIndex * barHeight;
        const width = length(bar.value ?? 0);
        parts.push(`<rect x="${LEFT}" y="${barY}" width="${width}" height="${barHeight - 1}" fill="${bar.colour}"/>`);
        parts.push(`<text x="${LEFT + width + 4}" y="${barY + barHeight - 3}" font-size="11">${bar.value === null ? '—' : escape(`${bar.value} ${bar.label}`)}</text>`);
      });
    });
    return parts.join('');
  };
  const throughput = panel(10, 'Throughput (operations per second, log scale)', rows.map(([name, scenario]) => ({ name, bars: [{ value: scenario.throughput, colour: '#2f6db5', label: '/s' }] })));
  const latency = panel(PANEL_HEIGHT + 30, 'End-to-end latency (ms, log scale): p50 and p99', rows.map(([name, scenario]) => ({
    name,
    bars: [{ value: scenario.e2eP50, colour: '#3a9a5b', label: 'p50' }, { value: scenario.e2eP99, colour: '#c98a1b', label: 'p99' }],
  })));
  const footer = `${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGiB} GiB; ${String(report.config.concurrency)} clients; ${report.finishedAt}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="13">`,
    '<rect width="100%" height="100%" fill="white"/>',
    throughput,
    latency,
    `<text x="${LEFT}" y="${height - 12}" font-size="11" fill="#555">${escape(footer)}</text>`,
    '</svg>',
  ].join('\n');
}

/** Renders the SVG to PNG; false (and nothing written) when this machine has no Chromium. */
export async function renderPng(svg: string, file: string): Promise<boolean> {
  if (!existsSync(chromiumExecutable)) return false;
  const browser = await playwright.launch({ executablePath: chromiumExecutable, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const width = Number(/width="(\d+)"/.exec(svg)?.[1] ?? WIDTH);
    const height = Number(/height="(\d+)"/.exec(svg)?.[1] ?? 600);
    const page = await browser.newPage({ viewport: { width, height } });
    await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
    await page.screenshot({ path: file, clip: { x: 0, y: 0, width, height } });
    return true;
  } finally {
    await browser.close();
  }
}
