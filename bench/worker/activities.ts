// The skeleton's no-op activities; "announcePaid" has the signal back sent once it has returned, like the bridge reacting to order.paid.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { outcomeSignal } from './contract.js';

export interface BenchActivities {
  verify(): Promise<void>;
  announcePlaced(): Promise<void>;
  authorize(): Promise<void>;
  announcePaid(): Promise<void>;
  capture(): Promise<void>;
  announceConfirmed(): Promise<void>;
}

export function createBenchActivities(client: Client, onSignalFailure: (error: unknown) => void): BenchActivities {
  const noop = async () => {};
  return {
    verify: noop,
    announcePlaced: noop,
    authorize: noop,
    async announcePaid() {
      const workflowId = Context.current().info.workflowExecution?.workflowId;
      // Only ever run by a skeleton workflow; without one there is nobody to signal.
      if (!workflowId) throw new Error('announcePaid runs inside a workflow only');
      // After the activity has returned: the outcome arrives independently of the step that caused it, as over the broker.
      setImmediate(() => {
        client.workflow.getHandle(workflowId).signal(outcomeSignal).catch(onSignalFailure);
      });
    },
    capture: noop,
    announceConfirmed: noop,
  };
}
