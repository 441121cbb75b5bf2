// Turns inventory's outcome events into the order workflow's inventoryOutcome signal.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { HandlerContext, Reactions } from '../../platform/messaging/event-handler.js';
import type { Journal } from '../../platform/observability/journal.js';
import { inventoryOutcomeSignal, orderWorkflowId, type InventoryOutcome } from '../../workflows/contract.js';
import { crashPoint } from '../../platform/crash-points.js';

/**
 * The bridge's reactions: each outcome becomes the inventoryOutcome signal. No store of its own: a redelivered
 * outcome is simply signalled again (the workflow ignores duplicates), which is what makes a crash between the
 * signal and the ack harmless.
 */
export function orderOutcomeReactions(client: Client, journal: Journal): Reactions<[context: HandlerContext]> {
  const signal = async (orderId: string, outcome: InventoryOutcome, context: HandlerContext) => {
    const { attempt } = context;
    const workflowId = orderWorkflowId(orderId);
    const log = context.log.child({ workflowId });
    // Stamped when the signal went out: Temporal records its arrival before the call returns to us.
    const sentAt = new Date();
    const record = (kind: string) =>
      journal.record({ orderId, at: sentAt, kind, name: inventoryOutcomeSignal.name, eventId: outcome.eventId, attempt, detail: { outcome: outcome.outcome } });
    try {
      await client.workflow.getHandle(workflowId).signal(inventoryOutcomeSignal, outcome);
      log.info({ orderId, outcome: outcome.outcome }, 'inventory outcome signalled');
      await record('signal-sent');
      // Signalled, not yet acked: redelivery signals again and the workflow ignores the duplicate.
      crashPoint('order-outcome:after-signal');
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        // The order already ended (e.g. its inventory deadline passed); its compensation covered this outcome.
        log.warn({ orderId, outcome: outcome.outcome }, 'order workflow no longer running; outcome dropped');
        await record('signal-dropped');
        return;
      }
      throw error;
    }
  };
  return {
    'inventory.reserved': (event, context) => signal(event.data.orderId, { eventId: event.eventId, outcome: 'RESERVED' }, context),
    'inventory.rejected': (event, context) =>
      signal(event.data.orderId, { eventId: event.eventId, outcome: 'REJECTED', reason: event.data.reason }, context),
  };
}
