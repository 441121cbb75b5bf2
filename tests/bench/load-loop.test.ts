// The bench's load loop against a fake scenario: how many operations it keeps in flight, which outcomes it counts, and the open loop's pacing.
// Timings are generous and bounds wide: the machine is shared, and a late timer must not fail a test.
import { afterEach, describe, expect, it } from 'vitest';
import { runSegment, type SegmentPlan } from '../../bench/load-loop.js';
import type { ResourceMonitor } from '../../bench/resource-monitor.js';
import type { OperationTiming, Scenario } from '../../bench/scenarios/scenario.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Operation {
  index: number;
  startedAt: number;
  /** When its outcome was handed to the loop (undefined while in flight). */
  settledAt?: number;
  failed?: boolean;
}

/** Operations a test left hanging; released after each test, so nothing outlives it. */
const releases: Array<() => void> = [];
afterEach(() => {
  for (const release of releases.splice(0)) release();
});

/**
 * A scenario standing in for the outside world: `behave` decides each operation's duration (none: until the test ends)
 * and outcome by its index. Each operation's e2eMs is its index, so the samples the loop keeps say which it counted.
 */
function fakeScenario(behave: (index: number) => { ms?: number; fail?: unknown }, queued?: () => Promise<number>) {
  const operations: Operation[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const scenario: Scenario = {
    name: 'http',
    operate: () => {
      const operation: Operation = { index: operations.length, startedAt: performance.now() };
      operations.push(operation);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const { ms, fail } = behave(operation.index);
      return new Promise<OperationTiming>((resolve, reject) => {
        const settle = () => {
          inFlight--;
          operation.settledAt = performance.now();
          if (fail === undefined) {
            resolve({ apiMs: operation.index, e2eMs: operation.index });
          } else {
            operation.failed = true;
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a library may reject with anything; the loop must report it.
            reject(fail);
          }
        };
        if (ms === undefined) releases.push(settle);
        else setTimeout(settle, ms);
      });
    },
    ...(queued ? { queued } : {}),
    close: async () => {},
  };
  return { scenario, operations, maxInFlight: () => maxInFlight, inFlight: () => inFlight };
}

/**
 * A monitor that only notes when the window opened and closed: the loop asks it for CPU just before opening the window
 * and just after closing it.
 */
function windowWatcher() {
  const times: number[] = [];
  const monitor = {
    cpu: () => {
      times.push(performance.now());
      return { self: times.length };
    },
    attribute: () => {},
    pause: () => {},
  } as unknown as ResourceMonitor;
  return { monitor, opened: () => times[0]!, closed: () => times[1]! };
}

/** Operations that settled inside [from, to], and apart those within `fringe` ms of either edge (a timer may land on it). */
function settledWithin(operations: Operation[], from: number, to: number, fringe: number) {
  const settled = operations.filter((operation) => operation.settledAt !== undefined).map((operation) => ({ ...operation, settledAt: operation.settledAt! }));
  const clearlyInside = settled.filter(({ settledAt }) => settledAt > from + fringe && settledAt < to - fringe);
  const nearEdge = settled.filter(({ settledAt }) => Math.abs(settledAt - from) <= fringe || Math.abs(settledAt - to) <= fringe);
  return { clearlyInside, nearEdge };
}

const plan = (overrides: Partial<SegmentPlan>): SegmentPlan => ({ shape: { concurrency: 1 }, rampMs: 150, measureMs: 400, drainMs: 2000, ...overrides });

describe('runSegment, closed loop', () => {
  it('keeps exactly the given number of clients busy, never more, and stops issuing when the segment ends', async () => {
    const fake = fakeScenario((index) => ({ ms: 5 + (index % 4) * 5 }));
    const result = await runSegment(fake.scenario, plan({ shape: { concurrency: 3 } }));
    // Operations of 5–20 ms: all three clients are busy from the start.
    expect(fake.maxInFlight()).toBe(3);
    expect(result.completions).toBeGreaterThan(5);
    // Drained: nothing left running, and nothing new started afterwards.
    expect(fake.inFlight()).toBe(0);
    const issued = fake.operations.length;
    await sleep(100);
    expect(fake.operations.length).toBe(issued);
  });

  it('counts only the operations that finished inside the measured window', async () => {
    const fake = fakeScenario(() => ({ ms: 20 }));
    const watcher = windowWatcher();
    const result = await runSegment(fake.scenario, plan({ shape: { concurrency: 2 }, monitor: watcher.monitor }));
    // Drained: every operation issued has settled, so each can be placed inside or outside the window.
    expect(fake.operations.every((operation) => operation.settledAt !== undefined)).toBe(true);
    const { clearlyInside, nearEdge } = settledWithin(fake.operations, watcher.opened(), watcher.closed(), 5);
    // Operations finished during the ramp and during the drain happened, and are not among the counted.
    expect(fake.operations.some((operation) => operation.settledAt! < watcher.opened())).toBe(true);
    expect(fake.operations.some((operation) => operation.settledAt! > watcher.closed())).toBe(true);
    expect(result.e2eMs).toEqual(expect.arrayContaining(clearlyInside.map((operation) => operation.index)));
    expect(result.completions).toBeGreaterThanOrEqual(clearlyInside.length);
    expect(result.completions).toBeLessThanOrEqual(clearlyInside.length + nearEdge.length);
    expect(result.e2eMs).toHaveLength(result.completions);
    expect(result.apiMs).toEqual(result.e2eMs);
    // The window's length, or a hair less: a timer may fire a fraction of a millisecond before performance.now() says it is due.
    expect(result.measuredMs).toBeLessThanOrEqual(400);
    expect(result.measuredMs).toBeGreaterThan(390);
    expect(result.cpu).toEqual({ self: 1 });
  });

  it('does not count an operation started in the ramp that finishes after the window', async () => {
    const fake = fakeScenario((index) => ({ ms: index === 0 ? 800 : 10 }));
    const result = await runSegment(fake.scenario, plan({ shape: { concurrency: 1 }, rampMs: 100, measureMs: 300 }));
    // The one client was stuck in that operation through the whole window: nothing finished inside it.
    expect(fake.operations).toHaveLength(1);
    expect(result.completions).toBe(0);
    expect(result.e2eMs).toEqual([]);
  });

  it('counts the errors inside the window with the first one’s message, and none from the ramp', async () => {
    // Every other operation fails; each failure names its operation.
    const fake = fakeScenario((index) => ({ ms: 15, ...(index % 2 === 0 ? { fail: new Error(`failure ${index}`) } : {}) }));
    const watcher = windowWatcher();
    const result = await runSegment(fake.scenario, plan({ monitor: watcher.monitor }));
    const failedInside = fake.operations.filter((operation) => operation.failed && operation.settledAt! > watcher.opened() + 5 && operation.settledAt! < watcher.closed() - 5);
    expect(result.errors).toBeGreaterThanOrEqual(failedInside.length);
    expect(result.errors).toBeGreaterThan(0);
    expect(result.completions).toBeGreaterThan(0);
    // The first failure was in the ramp (operation 0 ends at ~15 ms of 150): the message is from a later one, inside the window.
    const first = Number(/^failure (\d+)$/.exec(result.firstError ?? '')?.[1]);
    expect(first).toBeGreaterThan(0);
    expect(fake.operations[first]!.settledAt).toBeGreaterThan(watcher.opened());
    expect(first).toBeLessThanOrEqual(failedInside[0]?.index ?? Number.POSITIVE_INFINITY);
  });

  it('keeps the text of a failure that is not an Error', async () => {
    const fake = fakeScenario(() => ({ ms: 10, fail: 'broker said no' }));
    const result = await runSegment(fake.scenario, plan({ rampMs: 50, measureMs: 200 }));
    expect(result.firstError).toBe('broker said no');
    expect(result.completions).toBe(0);
  });

  it('reports the backlog at both ends of the window: operations in flight plus what the scenario has queued', async () => {
    let queued = 7;
    const fake = fakeScenario(() => ({ ms: 10 }), async () => queued++);
    const result = await runSegment(fake.scenario, plan({ shape: { concurrency: 3 }, rampMs: 100, measureMs: 200 }));
    // Every client is inside an operation whenever the loop looks (each starts the next at once).
    expect(result.backlogStart).toEqual({ outstanding: 3, queued: 7 });
    expect(result.backlogEnd).toEqual({ outstanding: 3, queued: 8 });
  });

  it('stops at once when interrupted, and measures only the time until then', async () => {
    const fake = fakeScenario(() => ({ ms: 10 }));
    const interrupt = new AbortController();
    const began = performance.now();
    setTimeout(() => interrupt.abort(), 300);
    const result = await runSegment(fake.scenario, plan({ rampMs: 100, measureMs: 30_000, stopped: interrupt.signal }));
    expect(performance.now() - began).toBeLessThan(10_000);
    expect(result.measuredMs).toBeGreaterThan(0);
    expect(result.measuredMs).toBeLessThan(10_000);
  });

  it('issues nothing when interrupted before it began', async () => {
    const fake = fakeScenario(() => ({ ms: 10 }));
    const result = await runSegment(fake.scenario, plan({ shape: { concurrency: 2 }, stopped: AbortSignal.abort() }));
    expect(fake.operations).toHaveLength(0);
    expect(result.completions).toBe(0);
  });
});

describe('runSegment, open loop', () => {
  it('issues at roughly the given rate, whatever the operations take, so several are in flight at once', async () => {
    // 100/s of 50 ms operations: about five at a time, against one client in the closed loop.
    const fake = fakeScenario(() => ({ ms: 50 }));
    const result = await runSegment(fake.scenario, plan({ shape: { concurrency: 1, rate: 100 }, rampMs: 200, measureMs: 500 }));
    // 50 due in the window; wide bounds, since a busy machine delays timers (the loop catches up, it does not run ahead).
    expect(result.completions).toBeGreaterThan(20);
    expect(result.completions).toBeLessThan(80);
    // Everything issued by the end of the window: 70 due over ramp and window, with room for a late timer; running ahead would be far more.
    expect(fake.operations.length).toBeLessThanOrEqual(100);
    expect(fake.maxInFlight()).toBeGreaterThan(1);
    expect(result.skipped).toBe(0);
  });

  it('issues nothing when interrupted before it began', async () => {
    // A regression shows as a hang, not a failure: the loop used to spin on sleeps that end at once, starving every timer.
    const fake = fakeScenario(() => ({ ms: 10 }), async () => 0);
    const result = await runSegment(fake.scenario, plan({ shape: { concurrency: 1, rate: 100 }, stopped: AbortSignal.abort() }));
    expect(fake.operations).toHaveLength(0);
    expect(result.skipped).toBe(0);
  });

  it('skips arrivals once the outstanding operations reach 50 per client, counting those skipped in the window', async () => {
    // Operations that never finish on their own: the loop fills up to the cap during the ramp.
    const fake = fakeScenario(() => ({}));
    const result = await runSegment(fake.scenario, plan({ shape: { concurrency: 1, rate: 1000 }, rampMs: 600, measureMs: 300, drainMs: 100 }));
    expect(fake.maxInFlight()).toBe(50);
    expect(result.backlogStart.outstanding).toBe(50);
    expect(result.backlogEnd.outstanding).toBe(50);
    // About 300 arrivals were due in the window; none could be issued. The ~550 skipped during the ramp are not counted
    // (the upper bound leaves room for a loop running late into the window, catching up on the ramp's arrivals).
    expect(result.skipped).toBeGreaterThan(100);
    expect(result.skipped).toBeLessThanOrEqual(450);
    expect(result.completions).toBe(0);
  });
});
