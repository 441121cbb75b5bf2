// Orders waiting on inventory, and those the watchdog flagged slow, counted by Temporal's visibility at scrape time (cached briefly).
import type { Client } from '@temporalio/client';
import { ordersAwaitingInventory, ordersInventorySlow } from '../../platform/observability/metrics.js';
import { OrderStatus } from '../../workflows/contract.js';

/** Scrapes within this long of the last answer reuse it: a dashboard refreshing often costs Temporal one query. */
const CACHE_MS = 5_000;

/** A visibility count, asked at most once per CACHE_MS; a failed count is not cached, so the next scrape asks again. */
function cachedCount(temporal: Client, query: string): () => Promise<number> {
  let cached: { at: number; count: Promise<number> } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const entry = { at: Date.now(), count: temporal.workflow.count(query).then((answer) => answer.count) };
      entry.count.catch(() => {
        if (cached === entry) cached = undefined;
      });
      cached = entry;
    }
    return cached.count;
  };
}

/**
 * Asked of visibility rather than counted in-process: it stays right across worker restarts and many workers, and
 * needs nothing from the order flow itself. A running order in PAYMENT_AUTHORIZED has published order.paid (or is
 * about to) and waits on inventory's outcome; InventorySlow is the watchdog's search attribute.
 */
export function watchOrdersAwaitingInventory(temporal: Client, taskQueue: string): () => void {
  const waiting = `WorkflowType = 'orderWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}' AND OrderStatus = '${OrderStatus.PAYMENT_AUTHORIZED}'`;
  const countWaiting = cachedCount(temporal, waiting);
  const countSlow = cachedCount(temporal, `${waiting} AND InventorySlow = true`);
  const labels = { task_queue: taskQueue };
  const stopWaiting = ordersAwaitingInventory.add(async () => [{ labels, value: await countWaiting() }]);
  const stopSlow = ordersInventorySlow.add(async () => [{ labels, value: await countSlow() }]);
  return () => {
    stopWaiting();
    stopSlow();
  };
}
