// The bench worker's contract: workflow types, the update and signal of the order-shaped skeleton, and settings names.
import { defineSignal, defineUpdate } from '@temporalio/workflow';

export const EMPTY_WORKFLOW_TYPE = 'benchEmptyWorkflow';
export const SKELETON_WORKFLOW_TYPE = 'benchSkeletonWorkflow';
export const SKELETON_LOCAL_WORKFLOW_TYPE = 'benchSkeletonLocalWorkflow';

/** Like the order's cartVerified: completes after the first step, which is what the API answers POST /orders with. */
export const acceptedUpdate = defineUpdate<string>('benchAccepted');
export const ACCEPTED_UPDATE_ID = 'accepted';
/** Like the order's inventoryOutcome: sent back by another party after the "paid" step. */
export const outcomeSignal = defineSignal('benchOutcome');

/** What the bench worker prints once it polls Temporal and answers the AMQP hop; the bench waits for this line. */
export const BENCH_WORKER_READY = 'bench worker ready';

/** The AMQP hop's queues, derived from the run's own exchange so that runs and tests never share them. */
export const hopQueues = (exchange: string) => ({ request: `${exchange}.request`, reply: `${exchange}.reply` });
export const HOP_REQUEST_KEY = 'hop.request';
export const HOP_REPLY_KEY = 'hop.reply';
