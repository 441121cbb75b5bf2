// `empty`, `skeleton`, `skeletonLocal`: bare Temporal workflows on the bench worker's own task queue, no platform code in the way.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import {
  ACCEPTED_UPDATE_ID, acceptedUpdate, EMPTY_WORKFLOW_TYPE, SKELETON_LOCAL_WORKFLOW_TYPE, SKELETON_WORKFLOW_TYPE,
} from '../worker/contract.js';
import { within, type Scenario } from './scenario.js';

const OUTCOME_TIMEOUT_MS = 60_000;

/** Start an empty workflow and wait for its result: the least a workflow costs. */
export function emptyScenario(client: Client, taskQueue: string): Scenario {
  return {
    name: 'empty',
    async operate() {
      const began = performance.now();
      await within(client.workflow.execute(EMPTY_WORKFLOW_TYPE, { taskQueue, workflowId: `bench-empty-${randomUUID()}` }), OUTCOME_TIMEOUT_MS, 'an empty workflow');
      return { e2eMs: performance.now() - began };
    },
    close: async () => {},
  };
}

/**
 * The order's shape with no work in it, started as POST /orders starts an order (update-with-start, answered after
 * the first step), then waited on until it completes.
 */
export function skeletonScenario(client: Client, taskQueue: string, activities: 'regular' | 'local'): Scenario {
  const workflowType = activities === 'local' ? SKELETON_LOCAL_WORKFLOW_TYPE : SKELETON_WORKFLOW_TYPE;
  return {
    name: activities === 'local' ? 'skeletonLocal' : 'skeleton',
    async operate() {
      const began = performance.now();
      const start = new WithStartWorkflowOperation(workflowType, {
        workflowId: `bench-${activities}-${randomUUID()}`,
        taskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      await within(client.workflow.executeUpdateWithStart(acceptedUpdate, { updateId: ACCEPTED_UPDATE_ID, startWorkflowOperation: start }), OUTCOME_TIMEOUT_MS, 'the update-with-start');
      const apiMs = performance.now() - began;
      const handle = await start.workflowHandle();
      await within(handle.result(), OUTCOME_TIMEOUT_MS, 'a skeleton workflow');
      return { apiMs, e2eMs: performance.now() - began };
    },
    close: async () => {},
  };
}
