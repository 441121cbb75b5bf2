// Drives one scenario for one segment: a ramp, then a measured window, in a closed loop of clients or at a fixed arrival rate.
import type { BacklogSample } from './backlog.js';
import { cpuBetween, type CpuSnapshot, type ResourceMonitor } from './resource-monitor.js';
import type { Scenario } from './scenarios/scenario.js';

export interface LoadShape {
  /** Clients in the closed loop; in the open loop, only the backlog allowance. */
  concurrency: number;
  /** Arrivals per second (open loop); absent: closed loop. */
  rate?: number;
}

export interface SegmentPlan {
  shape: LoadShape;
  /** Run before the window opens and not counted: the loop fills up and caches warm. */
  rampMs: number;
  measureMs: number;
  /** How long in-flight operations may take to finish after the window (not counted either way). */
  drainMs: number;
  monitor?: ResourceMonitor;
  /** Ctrl-C: stop issuing at once. */
  stopped?: AbortSignal;
}

export interface SegmentResult {
  completions: number;
  errors: number;
  firstError?: string;
  /** Open loop: arrivals skipped because the outstanding operations hit the cap (overload). */
  skipped: number;
  apiMs: number[];
  e2eMs: number[];
  measuredMs: number;
  backlogStart: BacklogSample;
  backlogEnd: BacklogSample;
  cpu: CpuSnapshot;
}

/** The open loop stops adding work past this many operations per client in flight: the system is overloaded by then. */
const OPEN_LOOP_OUTSTANDING_PER_CLIENT = 50;

export async function runSegment(scenario: Scenario, plan: SegmentPlan): Promise<SegmentResult> {
  let outstanding = 0;
  let issuing = true;
  let window: { start: number; end: number } | undefined;
  const result: Omit<SegmentResult, 'measuredMs' | 'backlogStart' | 'backlogEnd' | 'cpu'> = { completions: 0, errors: 0, skipped: 0, apiMs: [], e2eMs: [] };
  const inWindow = () => window !== undefined && performance.now() >= window.start && performance.now() <= window.end;
  const stop = () => {
    issuing = false;
  };
  plan.stopped?.addEventListener('abort', stop);
  // A signal aborted already never fires 'abort'. Without this the closed loop still issued work, and the open loop
  // spun forever: its sleeps end at once on an aborted signal, so it only ever yielded to microtasks and starved timers and I/O.
  if (plan.stopped?.aborted) stop();

  const once = async () => {
    outstanding++;
    try {
      const timing = await scenario.operate();
      if (!inWindow()) return;
      result.completions++;
      if (timing.apiMs !== undefined) result.apiMs.push(timing.apiMs);
      result.e2eMs.push(timing.e2eMs);
    } catch (error) {
      if (!inWindow()) return;
      result.errors++;
      result.firstError ??= error instanceof Error ? error.message : String(error);
    } finally {
      outstanding--;
    }
  };

  const inFlight = new Set<Promise<void>>();
  const launch = () => {
    const running = once();
    inFlight.add(running);
    void running.finally(() => inFlight.delete(running));
    return running;
  };
  const closedLoop = async () => {
    while (issuing) await launch();
  };
  const openLoop = async (rate: number) => {
    const began = performance.now();
    const cap = plan.shape.concurrency * OPEN_LOOP_OUTSTANDING_PER_CLIENT;
    for (let arrival = 0; issuing; arrival++) {
      const due = began + (arrival * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await abortableSleep(wait, plan.stopped);
      if (!issuing) break;
      if (outstanding >= cap) {
        if (inWindow()) result.skipped++;
        continue;
      }
      void launch();
    }
  };
  const loops = plan.shape.rate !== undefined ? [openLoop(plan.shape.rate)] : Array.from({ length: plan.shape.concurrency }, closedLoop);

  const backlog = async (): Promise<BacklogSample> => ({ outstanding, queued: (await scenario.queued?.()) ?? 0 });
  try {
    await abortableSleep(plan.rampMs, plan.stopped);
    const backlogStart = await backlog();
    const cpuStart = plan.monitor?.cpu() ?? {};
    plan.monitor?.attribute(scenario.name);
    const start = performance.now();
    window = { start, end: start + plan.measureMs };
    await abortableSleep(plan.measureMs, plan.stopped);
    // Kept as a length, not worked back from window.end - window.start: (start + 400) - start can be 400.0000000000001.
    const measuredMs = Math.min(plan.measureMs, performance.now() - start);
    window.end = start + measuredMs;
    const cpuEnd = plan.monitor?.cpu() ?? {};
    plan.monitor?.pause();
    const backlogEnd = await backlog();
    issuing = false;
    const drainWait = cancellableSleep(plan.drainMs, plan.stopped);
    await Promise.race([Promise.allSettled([...loops, ...inFlight]), drainWait.done]);
    drainWait.cancel();
    return { ...result, measuredMs, backlogStart, backlogEnd, cpu: cpuBetween(cpuStart, cpuEnd) };
  } finally {
    issuing = false;
    plan.stopped?.removeEventListener('abort', stop);
  }
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return cancellableSleep(ms, signal).done;
}

/** A sleep that ends early on `signal` or on `cancel()`, and leaves no timer or abort listener behind either way. */
function cancellableSleep(ms: number, signal: AbortSignal | undefined): { done: Promise<void>; cancel(): void } {
  let cancel = () => {};
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
    if (signal?.aborted) finish();
    cancel = finish;
  });
  return { done, cancel };
}
