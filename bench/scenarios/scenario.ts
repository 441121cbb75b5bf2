// What every benchmark scenario offers the load loop: one operation at a time, and what it has queued.

export const SCENARIO_NAMES = ['http', 'empty', 'skeleton', 'skeletonLocal', 'amqp', 'full', 'orchestrated'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** How long one operation took, in milliseconds. */
export interface OperationTiming {
  /** The API call's own answer time, where the operation makes one (POST /orders, the update-with-start). */
  apiMs?: number;
  /** From the operation's start until its outcome was seen. */
  e2eMs: number;
}

export interface Scenario {
  readonly name: ScenarioName;
  operate(): Promise<OperationTiming>;
  /** Messages ready in the queues the scenario feeds, for the backlog check; absent where it feeds none. */
  queued?(): Promise<number>;
  close(): Promise<void>;
}

/** An operation that did not reach the outcome it was run for (an order not CONFIRMED, a timeout). */
export class OperationFailedError extends Error {
  override readonly name = 'OperationFailedError';
}

/** Bounds a wait that depends on another process, so one lost outcome cannot hang the bench. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OperationFailedError(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
