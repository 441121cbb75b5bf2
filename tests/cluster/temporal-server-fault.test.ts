// Issue 12: the Temporal server process killed and restarted under load; orders placed before, during and after all complete, and the ledger holds.
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { theProcessWith } from '../support/faults/cluster-stack.js';
import { clusterStackForSuite, expectOrdersSurvive, FAULT_SCENARIO_TIMEOUT_MS } from '../support/faults/orders-survive.js';
import { waitForOutput } from '../support/supervisor.js';

describe('the Temporal server killed under load', () => {
  const stack = clusterStackForSuite();

  it('completes every order accepted before, during and after, each once, once the supervisor has restarted it on its database', async () => {
    await expectOrdersSurvive(stack(), { before: 30, during: 40, after: 30 }, async () => {
      // Found by its configuration file: the server is one Go process, and SIGKILL gives it no chance to hand over.
      const server = theProcessWith(['--config-file', join(stack().workDir, 'cluster', 'temporal', 'temporal-server.yaml')]);
      process.kill(server, 'SIGKILL');
      await waitForOutput(stack().supervisor, /Temporal server exited unexpectedly \(signal SIGKILL\); restarting it/, 30_000);
      await waitForOutput(stack().supervisor, /Temporal server is back/, 180_000);
    });
  }, FAULT_SCENARIO_TIMEOUT_MS);
});
