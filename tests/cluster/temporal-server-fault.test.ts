// Issue 12: the Temporal server process killed and restarted under load; orders placed before, during and after all complete, and the ledger holds.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersAroundFault } from '../support/faults/around-fault.js';
import { CLUSTER_START_TIMEOUT_MS, STARTUP_DEAD_LETTERS, startClusterStack, theProcessWith, type ClusterStack } from '../support/faults/cluster-stack.js';
import { Scenario } from '../support/faults/scenario.js';
import { waitForOutput } from '../support/supervisor.js';

describe('the Temporal server killed under load', () => {
  let stack: ClusterStack;

  beforeAll(async () => {
    stack = await startClusterStack();
  }, CLUSTER_START_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('completes every order accepted before, during and after, each once, once the supervisor has restarted it on its database', async () => {
    const scenario = new Scenario(stack.endpoints, stack.apis);
    const skus = [await scenario.product(10_000), await scenario.product(10_000)];
    const items = () => [{ sku: skus[scenario.orderIds.length % 2]!, quantity: 1 + (scenario.orderIds.length % 3) }];

    const answers = await ordersAroundFault(scenario, items, { before: 30, during: 40, after: 30 }, async () => {
      // Found by its configuration file: the server is one Go process, and SIGKILL gives it no chance to hand over.
      const server = theProcessWith(['--config-file', join(stack.workDir, 'cluster', 'temporal', 'temporal-server.yaml')]);
      process.kill(server, 'SIGKILL');
      await waitForOutput(stack.supervisor, /Temporal server exited unexpectedly \(signal SIGKILL\); restarting it/, 30_000);
      await waitForOutput(stack.supervisor, /Temporal server is back/, 180_000);
    });
    expect(answers.filter((answer) => answer.status !== 201), 'orders not accepted').toEqual([]);
    expect(scenario.orderIds).toHaveLength(100);

    const { statuses } = await scenario.ledger({ expectedDeadLetters: STARTUP_DEAD_LETTERS, timeoutMs: 300_000 });
    expect(Object.values(statuses).filter((status) => status !== 'CONFIRMED'), 'orders not confirmed').toEqual([]);
    expect(stack.supervisor.output()).not.toMatch(/stopping the stack/);
  }, 900_000);
});
