// Orders placed before, during and after a fault, so a scenario shows what was in flight, what arrived meanwhile and what came after.
import { expect } from 'vitest';
import { eventually } from '../broker.js';
import type { Answer } from '../http.js';
import type { Scenario } from './scenario.js';

export interface AroundFault {
  /** Placed (accepted) before the fault. */
  before: number;
  /** A stream the fault lands in the middle of: it strikes once half of these are accepted, and they keep coming. */
  during: number;
  /** Placed once the fault has been repaired. */
  after: number;
}

/**
 * Runs `fault` (which breaks something and resolves once it is repaired) under a stream of orders; every order is
 * retried with its idempotency key while the API cannot take it, so each one the scenario records was accepted once.
 */
export async function ordersAroundFault(
  scenario: Scenario,
  items: () => { sku: string; quantity: number }[],
  counts: AroundFault,
  fault: () => Promise<void>,
): Promise<Answer[]> {
  const answers = await scenario.orders(counts.before, items);
  const firstDuring = scenario.orderIds.length;
  const stream = scenario.orders(counts.during, items);
  await eventually(() => expect(scenario.orderIds.length - firstDuring).toBeGreaterThanOrEqual(counts.during / 2), { timeoutMs: 180_000, intervalMs: 100 });
  await fault();
  answers.push(...(await stream));
  answers.push(...(await scenario.orders(counts.after, items)));
  return answers;
}
