// Issue 12: PostgreSQL (under the Temporal server and every component's store) restarted under load; nothing lost, nothing doubled.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersAroundFault } from '../support/faults/around-fault.js';
import { CLUSTER_START_TIMEOUT_MS, STARTUP_DEAD_LETTERS, startClusterStack, theProcessWith, type ClusterStack } from '../support/faults/cluster-stack.js';
import { Scenario } from '../support/faults/scenario.js';
import { waitForOutput } from '../support/supervisor.js';

describe('PostgreSQL restarted under load', () => {
  let stack: ClusterStack;

  beforeAll(async () => {
    stack = await startClusterStack();
  }, CLUSTER_START_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('completes every order accepted before, during and after, each once, with the Temporal server and the components reconnecting', async () => {
    const scenario = new Scenario(stack.endpoints, stack.apis);
    const skus = [await scenario.product(10_000), await scenario.product(10_000)];
    const items = () => [{ sku: skus[scenario.orderIds.length % 2]!, quantity: 1 + (scenario.orderIds.length % 3) }];

    const answers = await ordersAroundFault(scenario, items, { before: 30, during: 40, after: 30 }, async () => {
      // The postmaster alone has `-D <data directory>` in its arguments (its backends rename themselves). SIGINT is a
      // fast shutdown, what `pg_ctl restart -m fast` does first: every connection is cut, then the supervisor starts it again.
      const postmaster = theProcessWith(['-D', join(stack.workDir, 'cluster', 'postgres')]);
      process.kill(postmaster, 'SIGINT');
      await waitForOutput(stack.supervisor, /PostgreSQL exited unexpectedly \(exit code 0\); restarting it/, 60_000);
      await waitForOutput(stack.supervisor, /PostgreSQL is back/, 120_000);
    });
    expect(answers.filter((answer) => answer.status !== 201), 'orders not accepted').toEqual([]);
    expect(scenario.orderIds).toHaveLength(100);

    const { statuses } = await scenario.ledger({ expectedDeadLetters: STARTUP_DEAD_LETTERS, timeoutMs: 300_000 });
    expect(Object.values(statuses).filter((status) => status !== 'CONFIRMED'), 'orders not confirmed').toEqual([]);
    expect(stack.supervisor.output()).not.toMatch(/stopping the stack/);
  }, 900_000);
});
