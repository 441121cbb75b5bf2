// The orders waiting on inventory, counted by Temporal's visibility at scrape time (with a short cache to keep scrapes cheap).
import type { Client } from '@temporalio/client';
import { ordersAwaitingInventory } from '../../platform/observability/metrics.js';
import { OrderStatus } from '../../workflows/contract.js';

/** Scrapes within this long of the last answer reuse it: a dashboard refreshing often costs Temporal one query. */
const CACHE_MS = 5_000;

/**
 * Asked of visibility rather than counted in-process: it stays right across worker restarts and many workers, and
 * needs nothing from the order flow itself. A running order in PAYMENT_AUTHORIZED has published order.paid (or is
 * about to) and waits on inventory's outcome.
 */
export function watchOrdersAwaitingInventory(temporal: Client, taskQueue: string): () => void {
  const query = `WorkflowType = 'orderWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}' AND OrderStatus = '${OrderStatus.PAYMENT_AUTHORIZED}'`;
  let cached: { at: number; count: Promise<number> } | undefined;
  const count = () => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const entry = { at: Date.now(), count: temporal.workflow.count(query).then((answer) => answer.count) };
      // A failed count is not cached: the next scrape asks again.
      entry.count.catch(() => {
        if (cached === entry) cached = undefined;
      });
      cached = entry;
    }
    return cached.count;
  };
  return ordersAwaitingInventory.add(async () => [{ labels: { task_queue: taskQueue }, value: await count() }]);
}
