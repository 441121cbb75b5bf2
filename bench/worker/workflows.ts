// Benchmark workflows, bundled by the bench worker only: an empty one, and no-op workflows of the order's shape.
import { condition, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { BenchActivities } from './activities.js';
import { acceptedUpdate, outcomeSignal } from './contract.js';

/** The floor: one workflow task, no commands beyond completing. */
export async function benchEmptyWorkflow(): Promise<void> {}

// The same retry policy kind as the order's steps, so a retry-free run pays the same bookkeeping.
const regular = proxyActivities<BenchActivities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '500 milliseconds' } });
const local = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '500 milliseconds' } });

/** The order workflow's shape with regular activities: update-with-start, six activities, one signal back. */
export async function benchSkeletonWorkflow(): Promise<string> {
  return orderShape(regular);
}

/** The same shape with local activities: the fastest the server allows for it. */
export async function benchSkeletonLocalWorkflow(): Promise<string> {
  return orderShape(local);
}

async function orderShape(steps: BenchActivities): Promise<string> {
  let accepted = false;
  let outcome = false;
  setHandler(acceptedUpdate, async () => {
    await condition(() => accepted);
    return 'accepted';
  });
  setHandler(outcomeSignal, () => {
    outcome = true;
  });
  await steps.verify();
  accepted = true;
  await steps.announcePlaced();
  await steps.authorize();
  // Its completion makes the worker send the signal back, as the order-outcome bridge does after order.paid.
  await steps.announcePaid();
  await condition(() => outcome);
  await steps.capture();
  await steps.announceConfirmed();
  return 'done';
}
