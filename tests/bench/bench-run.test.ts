// What the README promises about `npm run bench`: one command starts its own stack, measures every scenario, writes the report, and leaves nothing running.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSystemPackages } from '../../scripts/system-packages/installer.js';
import { chromium, installLogFile } from '../../scripts/system-packages/packages.js';
import { isPortInUse } from '../../scripts/local-servers/ports.js';
import { repositoryRoot } from '../../scripts/local-servers/temporal-cli.js';
import type { BenchReport } from '../../bench/report.js';
import { SCENARIO_NAMES } from '../../bench/scenarios/scenario.js';
import { exitWithin, isRunning, killGroup, spawnCaptured, tail, waitForOutput, type Supervised } from '../support/supervisor.js';

/** `npm run bench` as a user runs it, with tiny windows: the measurement's numbers are not the point here, its shape is. */
function runBench(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Supervised {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extraEnv };
  return spawnCaptured(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: repositoryRoot, env });
}

/** What the bench printed about the stack it started: its data folder, the supervisor's pid and the API's port. */
function ownStackOf(output: string) {
  const dataDir = /data in (\S+)\)/.exec(output)?.[1];
  const up = /npm start pid (\d+)\): API http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
  return { dataDir, pid: up ? Number(up[1]) : undefined, apiPort: up ? Number(up[2]) : undefined };
}

describe('npm run bench', () => {
  const cleanups: Array<() => Promise<void>> = [];
  // The PNG chart is drawn by the Chromium the console tests use; the same installer puts it on a fresh machine.
  beforeAll(() => ensureSystemPackages([chromium], { logFile: installLogFile, out: process.stderr }));
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('measures every scenario on a stack of its own, writes latest.json, the SVG and the PNG, and stops the stack', { timeout: 8 * 60_000 }, async () => {
    const output = await mkdtemp(join(tmpdir(), 'ensemble-bench-results-'));
    // A setting in the bench's environment reaches the stack under test (as the tuning experiments vary them), and
    // a quieter LOG_LEVEL there must not silence the bench's own worker, whose ready line the bench waits for.
    const bench = runBench(['--concurrency', '2', '--duration', '2', '--rounds', '1', '--warmup', '1', '--ramp', '0', '--output', output], { LOG_LEVEL: 'warn' });
    cleanups.push(async () => {
      killGroup(bench.process.pid);
      const { pid } = ownStackOf(bench.output());
      if (pid !== undefined) killGroup(pid);
      await rm(output, { recursive: true, force: true });
    });
    const exit = await exitWithin(bench, 7 * 60_000);
    expect(exit.code, tail(bench.output())).toBe(0);

    const report = JSON.parse(await readFile(join(output, 'latest.json'), 'utf8')) as BenchReport;
    expect(Object.keys(report.scenarios)).toEqual([...SCENARIO_NAMES]);
    for (const [name, scenario] of Object.entries(report.scenarios)) {
      expect(scenario.errors, `${name}: ${scenario.firstError}`).toBe(0);
      expect(scenario.completions, name).toBeGreaterThan(0);
      expect(scenario.throughput, name).toBeGreaterThan(0);
      expect(scenario.e2eP50, name).toBeGreaterThan(0);
      expect(scenario.e2eP99!, name).toBeGreaterThanOrEqual(scenario.e2eP50!);
    }
    // The API's own answer is measured where the scenario makes one call and then waits (an order, an update-with-start, a publish).
    for (const name of ['http', 'skeleton', 'skeletonLocal', 'amqp', 'full', 'orchestrated'] as const) expect(report.scenarios[name]!.apiP50, name).toBeGreaterThan(0);
    expect(report.scenarios.empty!.apiP50).toBeNull();
    // Every process of the stack is measured, each by its own tree: a real order costs the worker and Temporal CPU.
    const full = report.scenarios.full!;
    expect(Object.keys(full.rss).sort()).toEqual(
      ['api', 'bench-worker', 'carrier', 'inventory', 'notifications', 'order-outcome', 'order-view', 'payment-provider', 'postgres', 'rabbitmq', 'shipping', 'temporal', 'worker'].sort(),
    );
    expect(full.cpuPerOrder.worker).toBeGreaterThan(0);
    // Every store is on the stack's PostgreSQL, so an order costs it CPU too.
    expect(full.cpuPerOrder.postgres).toBeGreaterThan(0);
    expect(full.cpuPerOrder.temporal).toBeGreaterThan(0);
    expect(full.rss.temporal).toBeGreaterThan(0);
    expect(report.ratios['full/skeletonLocal']).toBeGreaterThan(0);
    expect(report.ratios['full/orchestrated']).toBeGreaterThan(0);
    // The yardstick does its work by calls: inventory and notifications spend CPU on it though no event reaches them.
    expect(report.scenarios.orchestrated!.cpuPerOrder.inventory).toBeGreaterThan(0);
    expect(report.scenarios.orchestrated!.cpuPerOrder.notifications).toBeGreaterThan(0);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.config).toMatchObject({ concurrency: 2, durationSeconds: 2, rounds: 1 });
    expect(bench.output()).toMatch(/scenario\s+ops\/s/);
    expect(existsSync(join(output, 'latest.svg'))).toBe(true);
    expect(existsSync(join(output, 'latest.png'))).toBe(true);

    // Nothing of its stack outlives it: the supervisor, its API's port and its data folder are gone.
    const stack = ownStackOf(bench.output());
    expect(stack.pid).toBeDefined();
    expect(isRunning(stack.pid!)).toBe(false);
    expect(await isPortInUse(stack.apiPort!)).toBe(false);
    expect(existsSync(stack.dataDir!)).toBe(false);
  });

  it('on Ctrl-C stops measuring, stops its stack and exits with 130, writing no report', { timeout: 6 * 60_000 }, async () => {
    const output = await mkdtemp(join(tmpdir(), 'ensemble-bench-results-'));
    const bench = runBench(['--scenarios', 'http,full', '--duration', '60', '--rounds', '3', '--warmup', '1', '--output', output]);
    cleanups.push(async () => {
      killGroup(bench.process.pid);
      const { pid } = ownStackOf(bench.output());
      if (pid !== undefined) killGroup(pid);
      await rm(output, { recursive: true, force: true });
    });
    await waitForOutput(bench, /warmed up full/, 4 * 60_000);
    bench.process.kill('SIGINT');
    const exit = await exitWithin(bench, 90_000);
    expect(exit.code, tail(bench.output())).toBe(130);
    expect(existsSync(join(output, 'latest.json'))).toBe(false);
    const stack = ownStackOf(bench.output());
    expect(isRunning(stack.pid!)).toBe(false);
    expect(await isPortInUse(stack.apiPort!)).toBe(false);
  });
});
