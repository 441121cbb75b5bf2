// Issue 12: PostgreSQL (under the Temporal server and every component's store) restarted under load; nothing lost, nothing doubled.
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { theProcessWith } from '../support/faults/cluster-stack.js';
import { clusterStackForSuite, expectOrdersSurvive, FAULT_SCENARIO_TIMEOUT_MS } from '../support/faults/orders-survive.js';
import { waitForOutput } from '../support/supervisor.js';

describe('PostgreSQL restarted under load', () => {
  const stack = clusterStackForSuite();

  it('completes every order accepted before, during and after, each once, with the Temporal server and the components reconnecting', async () => {
    await expectOrdersSurvive(stack(), { before: 30, during: 40, after: 30 }, async () => {
      // The postmaster alone has `-D <data directory>` in its arguments (its backends rename themselves). SIGINT is a
      // fast shutdown, what `pg_ctl restart -m fast` does first: every connection is cut, then the supervisor starts it again.
      const postmaster = theProcessWith(['-D', join(stack().workDir, 'cluster', 'postgres')]);
      process.kill(postmaster, 'SIGINT');
      await waitForOutput(stack().supervisor, /PostgreSQL exited unexpectedly \(exit code 0\); restarting it/, 60_000);
      await waitForOutput(stack().supervisor, /PostgreSQL is back/, 120_000);
    });
  }, FAULT_SCENARIO_TIMEOUT_MS);
});
