// The same order as pure orchestration: inventory and notifications asked by call, not told by event. The bench's yardstick.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { OrchestratedSteps } from '../activities/orchestrated-steps.js';
import { OrderTotalAttribute } from '../platform/temporal/search-attributes.js';
import {
  cartVerifiedUpdate,
  OrderFailureType,
  orderStateQuery,
  OrderStatus,
  type CancellationReason,
  type OrderInput,
  type OrderState,
} from './contract.js';
import { orderMover, receivedOrder } from './order-state.js';

type Activities = ReturnType<typeof createActivities> & OrchestratedSteps;

/** As in orderWorkflow: payment calls are regular activities, their retries long and visible to operators. */
const { authorizePayment, capturePayment, voidPayment } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [OrderFailureType.PaymentDeclined] },
});
/** Calls to inventory and notifications retry while the component is away, as a publish retries while the broker is. */
const callOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
} as const;
/** The first call after the answer to POST /orders stays regular, for orderWorkflow's reason (see its publishFirstFact). */
const { notifyCustomer: notifyFirst } = proxyActivities<Activities>(callOptions);
/** Short and idempotent at the component, so local, as orderWorkflow runs its short steps on the lean path. */
const { verifyCart } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { initialInterval: '200 milliseconds', maximumAttempts: 10 } });
const { reserveStock, commitStock, notifyCustomer } = proxyLocalActivities<Activities>(callOptions);

/**
 * orderWorkflow's story with the choreography taken out: where orderWorkflow publishes order.paid and waits for
 * inventory's outcome (with a deadline, because nobody promised to answer), this one calls inventory and has the answer
 * in the response; where it publishes facts for notifications to react to, this one calls notifications. Every
 * participant is now in the workflow's history, and the workflow must know each of them: what the hybrid design avoids.
 * Started by the bench's `orchestrated` scenario (update-with-start, like POST /orders), never by the API.
 */
export async function orchestratedOrderWorkflow(input: OrderInput): Promise<OrderState> {
  const { orderId, customerId } = input;
  const state = receivedOrder(input);
  let cartChecked = false;
  const moveTo = orderMover(state);
  setHandler(orderStateQuery, () => state);
  setHandler(cartVerifiedUpdate, async () => {
    await condition(() => cartChecked);
    return state;
  });

  // 1. Verify the cart against the local catalog replica (the one piece of data the orders side keeps for itself).
  const verification = await verifyCart({ items: input.items, expectedTotal: input.expectedTotal });
  if (!verification.valid) {
    state.cartIssues = verification.issues;
    moveTo(OrderStatus.REJECTED, 'CART_INVALID');
    cartChecked = true;
    return state;
  }
  state.lines = verification.lines;
  state.total = verification.total;
  state.currency = verification.currency;
  moveTo(OrderStatus.CART_VERIFIED, undefined, [{ key: OrderTotalAttribute, value: verification.total }]);
  cartChecked = true;
  const lines = state.lines.map(({ sku, quantity }) => ({ sku, quantity }));

  // 2. Tell the customer, and authorize beside it.
  const placed = notifyFirst({
    type: 'order.placed',
    data: { orderId, customerId, email: input.email, lines: state.lines.map(({ sku, name, quantity, unitPrice }) => ({ sku, name, quantity, unitPrice })), total: state.total, currency: state.currency, createdAt: input.createdAt },
  });
  placed.catch(() => undefined); // awaited below; a failure meanwhile is not an unhandled rejection
  let authorizationId: string;
  try {
    ({ authorizationId } = await authorizePayment({ orderId, amount: state.total, currency: state.currency, token: input.paymentToken }));
  } catch (error) {
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === OrderFailureType.PaymentDeclined) {
      state.payment.status = 'DECLINED';
      await placed;
      await notifyCustomer({ type: 'order.payment-declined', data: { orderId, customerId, reason: error.cause.message } });
      moveTo(OrderStatus.PAYMENT_DECLINED, error.cause.message);
      return state;
    }
    throw error;
  }
  await placed;
  state.payment = { status: 'AUTHORIZED', authorizationId };
  moveTo(OrderStatus.PAYMENT_AUTHORIZED);

  // 3. Ask inventory, and have the answer in the response: no deadline on a promise nobody made.
  const reservation = await reserveStock({ orderId, lines: state.lines });
  if (reservation.outcome === 'RESERVED') {
    state.inventory.status = 'RESERVED';
    await capturePayment({ orderId, authorizationId });
    state.payment.status = 'CAPTURED';
    await commitStock({ orderId });
    state.inventory.status = 'COMMITTED';
    await notifyCustomer({ type: 'order.confirmed', data: { orderId, customerId, lines, total: state.total, currency: state.currency, shippingAddress: input.shippingAddress } });
    moveTo(OrderStatus.CONFIRMED);
    return state;
  }

  // 4. Compensate. Nothing is reserved (out of stock, or the order was cancelled at inventory), so only the card is released.
  const reason: CancellationReason = reservation.outcome === 'REJECTED' ? 'OUT_OF_STOCK' : 'CUSTOMER_REQUEST';
  state.inventory.status = reservation.outcome === 'REJECTED' ? 'REJECTED' : 'RELEASED';
  await voidPayment({ orderId, authorizationId });
  state.payment.status = 'VOIDED';
  await notifyCustomer({ type: 'order.cancelled', data: { orderId, customerId, lines, reason } });
  moveTo(OrderStatus.CANCELLED, reason);
  return state;
}
