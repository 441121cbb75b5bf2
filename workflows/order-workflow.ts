// The order workflow: orchestrates cart verification and payment, oversees inventory's choreography with a deadline, and compensates.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { createActivities } from '../activities/index.js';
import type { EventData, EventType } from '../platform/events/catalog.js';
import { CustomerIdAttribute, InventorySlowAttribute, OrderTotalAttribute } from '../platform/temporal/search-attributes.js';
import {
  cancelOrderUpdate,
  cartVerifiedUpdate,
  DEFAULT_INVENTORY_TIMEOUT_MS,
  defaultInventorySlowAfterMs,
  inventoryOutcomeSignal,
  isTerminal,
  OrderFailureType,
  orderStateQuery,
  OrderStatus,
  WorkflowPatch,
  type CancellationReason,
  type InventoryOutcome,
  type OrderInput,
  type OrderState,
} from './contract.js';
import { orderMover, receivedOrder } from './order-state.js';

type Activities = ReturnType<typeof createActivities>;

/** Reads the local catalog replica: fast, and a few retries cover a store restarting. */
const cartVerificationOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 10 },
} as const;

/** Talks to the processor: transient failures retry with backoff for as long as it takes; a decline never retries. */
const { authorizePayment, capturePayment, voidPayment } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [OrderFailureType.PaymentDeclined],
  },
});

/** Publishing waits for the broker's confirm; while the broker is away the activity retries. */
const publishOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
} as const;

/**
 * The short steps: reading the catalog replica and publishing a fact. Both are quick and idempotent (a publish carries a
 * deterministic eventId that consumers deduplicate), so they run as local activities: in the worker, inside the workflow
 * task, recorded as one marker each, with no round trip through the server's task queues. Their backoff (30 s at most)
 * stays under the SDK's local retry threshold (a minute), so retries run in the worker, which keeps the workflow task
 * alive meanwhile; a longer one would wait on a workflow timer (the timeline names it retry-backoff). Payment calls
 * stay regular activities: their retries can last long, and a regular activity shows its pending attempts to
 * operators. So does the first fact published (see publishFirstFact).
 */
const localShortSteps = {
  verifyCart: proxyLocalActivities<Activities>(cartVerificationOptions).verifyCart,
  publishEvent: proxyLocalActivities<Activities>(publishOptions).publishEvent,
};
/** The same steps as regular activities, for orders started before WorkflowPatch.leanOrderPath. */
const regularShortSteps = {
  verifyCart: proxyActivities<Activities>(cartVerificationOptions).verifyCart,
  publishEvent: proxyActivities<Activities>(publishOptions).publishEvent,
};

export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const { orderId, customerId } = input;
  const state = receivedOrder(input);
  let cartChecked = false;
  let outcome: InventoryOutcome | undefined;
  let cancelRequested = false;

  const moveTo = orderMover(state);

  // Decided once, before the first step, so one order never mixes the old path and the lean one.
  const lean = patched(WorkflowPatch.leanOrderPath);
  const { verifyCart, publishEvent } = lean ? localShortSteps : regularShortSteps;

  const publish = async <T extends EventType>(type: T, data: EventData<T>, via = publishEvent) => {
    // Order id + event type is deterministic: a retried activity or a replayed workflow publishes the same eventId.
    await via({ type, data, orderId, eventId: `${orderId}:${type}`, correlationId: workflowInfo().workflowId });
  };
  /**
   * The first workflow task carries the answer to POST /orders (the cartVerified update), and a workflow task with a
   * local activity in it ends only when the activity does: a local publish there would hold the answer until the broker
   * confirms, and the API could not accept orders while the broker is away. The first fact leaves as a regular activity.
   */
  const publishFirstFact = regularShortSteps.publishEvent;

  setHandler(orderStateQuery, () => state);

  // POST /orders attaches this update to the start: it completes as soon as the cart is checked (early return).
  setHandler(cartVerifiedUpdate, async () => {
    await condition(() => cartChecked);
    return state;
  });

  setHandler(inventoryOutcomeSignal, (signal) => {
    if (outcome !== undefined) {
      // The bridge may signal again after a crash; only the first outcome counts.
      log.info('duplicate inventory outcome ignored', { eventId: signal.eventId, first: outcome.eventId });
      return;
    }
    outcome = signal;
  });

  setHandler(
    cancelOrderUpdate,
    async () => {
      cancelRequested = true;
      await condition(() => isTerminal(state.status));
      return state;
    },
    {
      validator: () => {
        // Once inventory has answered, the order's fate is decided; cancelling would race the capture.
        if (state.status === OrderStatus.RECEIVED || isTerminal(state.status) || outcome !== undefined) {
          throw ApplicationFailure.create({
            type: OrderFailureType.CannotCancel,
            message: `order ${orderId} can no longer be cancelled (status ${state.status})`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  /**
   * Waits for inventory's outcome, a customer cancel or the deadline, whichever comes first, and says why the order
   * must be cancelled (undefined: reserved, go on to capture). Like the expense sample's signal-or-timeout wait.
   * The watchdog splits the wait: past `slowAfterMs` the order is flagged slow (state and search attribute), and
   * the deadline still falls at `deadlineMs` from the start.
   */
  const awaitInventoryOutcome = async (deadlineMs: number, slowAfterMs: number): Promise<CancellationReason | undefined> => {
    state.inventory.status = 'AWAITING';
    state.inventory.awaitingSince = new Date(Date.now()).toISOString();
    const arrived = () => outcome !== undefined || cancelRequested;
    let answered: boolean;
    // Orders started before the watchdog existed replay the single wait they recorded.
    if (patched(WorkflowPatch.inventoryWatchdog) && slowAfterMs < deadlineMs) {
      answered = await condition(arrived, slowAfterMs);
      if (!answered) {
        state.inventory.slow = true;
        upsertSearchAttributes([{ key: InventorySlowAttribute, value: true }]);
        log.warn('inventory is slow to answer', { orderId, waitedMs: slowAfterMs });
        answered = await condition(arrived, deadlineMs - slowAfterMs);
      }
    } else {
      answered = await condition(arrived, deadlineMs);
    }
    if (outcome) state.inventory.status = outcome.outcome;
    // An accepted cancel always wins, even when inventory's answer landed in the same workflow task.
    if (cancelRequested) return 'CUSTOMER_REQUEST';
    if (!answered) {
      state.inventory.status = 'TIMED_OUT';
      return 'INVENTORY_TIMEOUT';
    }
    return outcome?.outcome === 'REJECTED' ? 'OUT_OF_STOCK' : undefined;
  };

  // 1. Verify the cart against the local catalog replica.
  const verification = await verifyCart({ items: input.items, expectedTotal: input.expectedTotal });
  // Decided once, at the first fact published, so one order never mixes the old and the new facts.
  const factsForReaders = patched(WorkflowPatch.orderFactsForReaders);
  if (!verification.valid) {
    state.cartIssues = verification.issues;
    moveTo(OrderStatus.REJECTED, 'CART_INVALID');
    cartChecked = true;
    if (factsForReaders) await publish('order.rejected', { orderId, customerId, issues: verification.issues, createdAt: input.createdAt }, publishFirstFact);
    return state;
  }
  state.lines = verification.lines;
  state.total = verification.total;
  state.currency = verification.currency;
  const total: SearchAttributeUpdatePair = { key: OrderTotalAttribute, value: verification.total };
  if (lean) {
    moveTo(OrderStatus.CART_VERIFIED, undefined, [total]);
  } else {
    upsertSearchAttributes([{ key: CustomerIdAttribute, value: customerId }, total]);
    moveTo(OrderStatus.CART_VERIFIED);
  }
  cartChecked = true;

  const lines = state.lines.map(({ sku, quantity }) => ({ sku, quantity }));
  const placed = publish('order.placed', {
    orderId,
    customerId,
    email: input.email,
    lines: state.lines.map(({ sku, name, quantity, unitPrice }) => (factsForReaders ? { sku, name, quantity, unitPrice } : { sku, quantity, unitPrice })),
    total: state.total,
    currency: state.currency,
    ...(factsForReaders ? { createdAt: input.createdAt } : {}),
  }, publishFirstFact);
  if (lean) {
    // The authorization starts beside order.placed: neither needs the other, so both leave in one workflow task
    // instead of two in a row. Every later fact waits for order.placed, so readers still see it first.
    placed.catch(() => undefined); // awaited below; a failure meanwhile is not an unhandled rejection
  } else {
    await placed;
  }

  // 2. Authorize payment, the order id being the processor's idempotency key.
  let authorizationId: string;
  try {
    ({ authorizationId } = await authorizePayment({ orderId, amount: state.total, currency: state.currency, token: input.paymentToken }));
  } catch (error) {
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === OrderFailureType.PaymentDeclined) {
      state.payment.status = 'DECLINED';
      await placed;
      await publish('order.payment-declined', { orderId, customerId, reason: error.cause.message });
      moveTo(OrderStatus.PAYMENT_DECLINED, error.cause.message);
      return state;
    }
    throw error;
  }
  await placed;
  state.payment = { status: 'AUTHORIZED', authorizationId };
  moveTo(OrderStatus.PAYMENT_AUTHORIZED);

  // 3. Hand over to choreography: inventory reacts to order.paid on its own; we wait for its outcome, with a deadline.
  let reason: CancellationReason | undefined;
  if (cancelRequested) {
    reason = 'CUSTOMER_REQUEST';
  } else {
    await publish('order.paid', { orderId, customerId, lines, total: state.total, currency: state.currency, authorizationId });
    const deadlineMs = input.inventoryTimeoutMs ?? DEFAULT_INVENTORY_TIMEOUT_MS;
    reason = await awaitInventoryOutcome(deadlineMs, input.inventorySlowAfterMs ?? defaultInventorySlowAfterMs(deadlineMs));
  }

  // 4a. Reserved: take the money, then tell everyone (inventory commits the reservation).
  if (reason === undefined) {
    await capturePayment({ orderId, authorizationId });
    state.payment.status = 'CAPTURED';
    await publish('order.confirmed', {
      orderId,
      customerId,
      lines,
      total: state.total,
      currency: state.currency,
      ...(factsForReaders ? { shippingAddress: input.shippingAddress } : {}),
    });
    state.inventory.status = 'COMMITTED';
    moveTo(OrderStatus.CONFIRMED);
    return state;
  }

  // 4b. Compensate: release the hold on the card; order.cancelled lets inventory release any reservation it made.
  await voidPayment({ orderId, authorizationId });
  state.payment.status = 'VOIDED';
  await publish('order.cancelled', { orderId, customerId, lines, reason });
  if (state.inventory.status === 'RESERVED' || state.inventory.status === 'AWAITING') state.inventory.status = 'RELEASED';
  moveTo(OrderStatus.CANCELLED, reason);
  return state;
}
