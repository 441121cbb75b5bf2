// What the README promises about `npm run bench:waiting`: orders pile up while inventory is frozen, every one completes once it thaws, and the worker's memory is reported.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../scripts/local-servers/temporal-cli.js';
import { parseWaitingOptions, summariseWorker, type MemorySample, type WaitingReport } from '../../bench/waiting-report.js';
import { exitWithin, isRunning, killGroup, spawnCaptured, tail } from '../support/supervisor.js';

const sample = (at: number, phase: MemorySample['phase'], waiting: number, worker: number): MemorySample => ({ at, phase, waiting, rss: { worker } });

describe('the waiting-orders summary', () => {
  it('takes defaults of ten thousand orders and eight clients, and refuses a bad count naming the option', () => {
    expect(parseWaitingOptions([])).toEqual({ orders: 10_000, concurrency: 8, rest: 30, output: 'bench/results' });
    expect(parseWaitingOptions(['--orders', '50', '--rest', '0'])).toMatchObject({ orders: 50, rest: 0 });
    expect(() => parseWaitingOptions(['--orders', '0'])).toThrow(/--orders/);
  });

  it('puts the stores on a given PostgreSQL only when given its URL, and refuses anything else', () => {
    expect(parseWaitingOptions([])['database-url']).toBeUndefined();
    expect(parseWaitingOptions(['--database-url', 'postgres://bench@127.0.0.1:5432/ensemble'])['database-url']).toBe('postgres://bench@127.0.0.1:5432/ensemble');
    expect(() => parseWaitingOptions(['--database-url', 'mysql://127.0.0.1/ensemble'])).toThrow(/--database-url: a postgres:\/\/ URL/);
  });

  it("counts memory per thousand waiting from a tenth of them on (the warm-up is not theirs), and says what resting did", () => {
    const samples = [
      sample(0, 'filling', 0, 400),
      sample(10, 'filling', 50, 600), // warm-up: code compiled, first caches filled
      sample(20, 'filling', 100, 610),
      sample(60, 'filling', 1000, 700),
      sample(70, 'resting', 1000, 705),
      sample(90, 'draining', 300, 750),
    ];
    expect(summariseWorker(samples, 1000)).toEqual({ beforeMiB: 400, filledMiB: 700, restedMiB: 705, peakMiB: 750, perThousandWaitingMiB: 100 });
  });
});

describe('npm run bench:waiting', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('holds every order on inventory while it is frozen, completes each once it thaws, writes waiting.json and stops its stack', { timeout: 6 * 60_000 }, async () => {
    const output = await mkdtemp(join(tmpdir(), 'ensemble-waiting-'));
    const run = spawnCaptured(process.execPath, ['--import', 'tsx', 'bench/waiting-orders.ts', '--orders', '30', '--concurrency', '4', '--rest', '2', '--output', output], {
      cwd: repositoryRoot,
      env: { ...process.env, NO_COLOR: '1' },
    });
    const supervisor = () => Number(/npm start pid (\d+)\)/.exec(run.output())?.[1]);
    cleanups.push(async () => {
      killGroup(run.process.pid);
      killGroup(supervisor() || undefined);
      await rm(output, { recursive: true, force: true });
    });
    const exit = await exitWithin(run, 5 * 60_000);
    expect(exit.code, tail(run.output())).toBe(0);

    const report = JSON.parse(await readFile(join(output, 'waiting.json'), 'utf8')) as WaitingReport;
    expect(report).toMatchObject({ orders: 30, postgres: 'own', placeErrors: 0, outcomes: { 'order.confirmed': 30 } });
    // Nothing was decided while inventory was frozen: every order waited at once, through the rest.
    expect(report.samples.filter((s) => s.phase === 'resting').every((s) => s.waiting === 30)).toBe(true);
    expect(report.samples.at(-1)!.waiting).toBe(0);
    expect(report.worker.peakMiB).toBeGreaterThan(0);
    // The stack's PostgreSQL holds every component's store, so its memory is watched beside the worker's.
    expect(report.samples.every((s) => (s.rss.postgres ?? 0) > 0)).toBe(true);
    expect(report.drainSeconds).toBeGreaterThan(0);
    expect(isRunning(supervisor())).toBe(false);
    expect(existsSync(join(output, 'waiting.json'))).toBe(true);
  });
});
