// The shape every fault scenario on the production-shaped stack shares: orders across both APIs around one fault, then the ledger.
import { afterAll, beforeAll, expect } from 'vitest';
import type { Answer } from '../http.js';
import { ordersAroundFault, type AroundFault } from './around-fault.js';
import { CLUSTER_START_TIMEOUT_MS, STARTUP_DEAD_LETTERS, startClusterStack, type ClusterStack } from './cluster-stack.js';
import { Scenario } from './scenario.js';

/** A fault scenario's whole budget: 200 orders, a restart, and a ledger on a busy two-core machine. */
export const FAULT_SCENARIO_TIMEOUT_MS = 15 * 60_000;

/** Starts a stack of its own for the enclosing describe block and stops it afterwards; read it inside the tests. */
export function clusterStackForSuite(): () => ClusterStack {
  let stack: ClusterStack | undefined;
  beforeAll(async () => {
    stack = await startClusterStack();
  }, CLUSTER_START_TIMEOUT_MS + 60_000);
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the cluster stack did not start');
    return stack;
  };
}

export interface SurvivedFault {
  scenario: Scenario;
  answers: Answer[];
}

/**
 * Places `counts` orders across both APIs around `fault` (which breaks something and resolves once the stack has
 * repaired it; it is given the scenario, to watch the orders placed meanwhile), and holds the promise every fault
 * scenario makes: every order accepted, each CONFIRMED once with its money, stock, notifications and shipment moved
 * once, no queue holding a message, and the stack never stopping itself.
 */
export async function expectOrdersSurvive(stack: ClusterStack, counts: AroundFault, fault: (scenario: Scenario) => Promise<void>): Promise<SurvivedFault> {
  const scenario = new Scenario(stack.endpoints, stack.apis);
  // Plenty of stock in two products: the scenario is about the fault, so every order should be confirmed.
  const skus = [await scenario.product(10_000), await scenario.product(10_000)];
  const items = () => [{ sku: skus[scenario.orderIds.length % 2]!, quantity: 1 + (scenario.orderIds.length % 3) }];

  const answers = await ordersAroundFault(scenario, items, counts, () => fault(scenario));
  expect(answers.filter((answer) => answer.status !== 201), 'orders not accepted').toEqual([]);
  expect(scenario.orderIds).toHaveLength(counts.before + counts.during + counts.after);

  const { statuses } = await scenario.ledger({ expectedDeadLetters: STARTUP_DEAD_LETTERS, timeoutMs: 300_000 });
  expect(Object.values(statuses).filter((status) => status !== 'CONFIRMED'), 'orders not confirmed').toEqual([]);
  expect(stack.supervisor.output()).not.toMatch(/stopping the stack/);
  return { scenario, answers };
}
