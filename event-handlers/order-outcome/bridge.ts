// Turns inventory's outcome events into the order workflow's inventoryOutcome signal.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { EventHandler } from '../../platform/messaging/consumer.js';
import { inventoryOutcomeSignal, orderWorkflowId, type InventoryOutcome } from '../../workflows/contract.js';
import { crashPoint } from '../../platform/crash-points.js';

/**
 * No store of its own: a redelivered outcome is simply signalled again (the workflow ignores duplicates),
 * which is what makes a crash between the signal and the ack harmless.
 */
export function createOrderOutcomeHandler(client: Client): EventHandler {
  return async (event, { log }) => {
    if (event.type !== 'inventory.reserved' && event.type !== 'inventory.rejected') return;
    const outcome: InventoryOutcome =
      event.type === 'inventory.reserved'
        ? { eventId: event.eventId, outcome: 'RESERVED' }
        : { eventId: event.eventId, outcome: 'REJECTED', reason: event.data.reason };
    try {
      await client.workflow.getHandle(orderWorkflowId(event.data.orderId)).signal(inventoryOutcomeSignal, outcome);
      log.info({ orderId: event.data.orderId, outcome: outcome.outcome }, 'inventory outcome signalled');
      // Signalled, not yet acked: redelivery signals again and the workflow ignores the duplicate.
      crashPoint('order-outcome:after-signal');
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        // The order already ended (e.g. its inventory deadline passed); its compensation covered this outcome.
        log.warn({ orderId: event.data.orderId, outcome: outcome.outcome }, 'order workflow no longer running; outcome dropped');
        return;
      }
      throw error;
    }
  };
}
