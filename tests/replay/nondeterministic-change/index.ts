// A plausible but incompatible edit of orderWorkflow (payment authorized before order.placed is published), for the replay test.
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { OrderActivities } from '../../../activities/index.js';
import { cartVerifiedUpdate, orderStateQuery, type OrderInput, type OrderState } from '../../../workflows/contract.js';

const { verifyCart, authorizePayment, publishEvent } = proxyActivities<OrderActivities>({ startToCloseTimeout: '10 seconds' });

export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const state = { orderId: input.orderId, status: 'RECEIVED' } as OrderState;
  let checked = false;
  setHandler(orderStateQuery, () => state);
  setHandler(cartVerifiedUpdate, async () => {
    await condition(() => checked);
    return state;
  });
  const cart = await verifyCart({ items: input.items, expectedTotal: input.expectedTotal });
  checked = true;
  if (!cart.valid) return state;
  // The change: authorize first, publish second. Orders already in flight were recorded the other way round.
  await authorizePayment({ orderId: input.orderId, amount: cart.total, currency: cart.currency, token: input.paymentToken });
  await publishEvent({ type: 'order.placed', data: {} as never, orderId: input.orderId, eventId: `${input.orderId}:order.placed`, correlationId: input.orderId });
  return state;
}
