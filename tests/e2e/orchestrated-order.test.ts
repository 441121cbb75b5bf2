// End to end: the pure-orchestration yardstick does the same order's work by calls — stock, money and notifications end as the hybrid's do.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrchestratedOrder } from '../../bench/scenarios/orchestrated.js';
import { connectTemporalClient } from '../../platform/temporal/connection.js';
import { createPaymentTokenSeal } from '../../platform/temporal/payment-token-seal.js';
import { orchestratedOrderWorkflowId, orderTaskQueue, type OrderInput, type OrderState } from '../../workflows/contract.js';
import { captureHistory } from '../support/histories.js';
import { call, createProduct, ownerCall, paymentsOf, stockOf } from '../support/http.js';
import { TEST_PAYLOAD_KEYS } from '../support/secrets.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let client: Client;
const seal = createPaymentTokenSeal(TEST_PAYLOAD_KEYS);

beforeAll(async () => {
  stack = await startStack();
  client = await connectTemporalClient({ address: stack.config.TEMPORAL_ADDRESS, namespace: stack.config.TEMPORAL_NAMESPACE, payloadKeys: TEST_PAYLOAD_KEYS });
});
afterAll(async () => {
  await client?.connection.close();
  await stack?.teardown();
});

function orderInput(items: { sku: string; quantity: number }[], paymentToken = 'tok_visa'): OrderInput {
  return {
    orderId: randomUUID(),
    customerId: `cust-${randomUUID().slice(0, 8)}`,
    email: 'grace@example.com',
    items,
    paymentToken: seal.seal(paymentToken),
    shippingAddress: { name: 'Grace Hopper', line1: '1 Navy Yard', city: 'Arlington', postalCode: '22202', country: 'US' },
    createdAt: new Date().toISOString(),
  };
}

async function runToEnd(input: OrderInput): Promise<{ accepted: OrderState; result: OrderState }> {
  const { accepted, handle } = await startOrchestratedOrder(client, orderTaskQueue(stack.config), input);
  return { accepted, result: await handle.result() };
}

const toldTypes = async (orderId: string) =>
  ((await ownerCall(`${stack.notifications}/notifications?orderId=${orderId}`)).body.notifications as { type: string }[]).map((n) => n.type).sort();

describe('the orchestrated order (the bench yardstick)', () => {
  it('confirms: answers after the cart check, reserves and commits the stock by call, captures, tells the customer twice', async () => {
    const sku = await createProduct(stack, 3, 1250);
    const input = orderInput([{ sku, quantity: 2 }]);
    const { accepted, result } = await runToEnd(input);
    expect(accepted).toMatchObject({ status: 'CART_VERIFIED', total: 2500 });
    expect(result).toMatchObject({ status: 'CONFIRMED', payment: { status: 'CAPTURED' }, inventory: { status: 'COMMITTED' } });
    expect(await stockOf(stack, sku)).toMatchObject({ onHand: 1, reserved: 0, available: 1 });
    expect(await paymentsOf(stack, input.orderId)).toMatchObject([{ status: 'CAPTURED', captureCount: 1 }]);
    expect(await toldTypes(input.orderId)).toEqual(['ORDER_CONFIRMED', 'ORDER_PLACED']);
    // Nothing was published about it, so the order view (fed by events) never heard of it: the API does not list it as an order.
    expect((await call(`${stack.api}/orders/${input.orderId}`)).status).toBe(404);
    await captureHistory(stack, input.orderId, 'orchestrated-confirmed', orchestratedOrderWorkflowId(input.orderId));
  });

  it('cancels the order inventory cannot fill: two orders race for the last unit, one confirms, the other is voided and the customer told', async () => {
    // Both carts pass against the replica (one unit left); inventory, asked in turn, has it for one of them only.
    const sku = await createProduct(stack, 1);
    const inputs = [orderInput([{ sku, quantity: 1 }]), orderInput([{ sku, quantity: 1 }])];
    const results = await Promise.all(inputs.map(async (input) => ({ input, ...(await runToEnd(input)) })));
    expect(results.map(({ result }) => result.status).sort()).toEqual(['CANCELLED', 'CONFIRMED']);
    const { input, result } = results.find(({ result }) => result.status === 'CANCELLED')!;
    expect(result).toMatchObject({ reason: 'OUT_OF_STOCK', payment: { status: 'VOIDED' }, inventory: { status: 'REJECTED' } });
    expect(await stockOf(stack, sku)).toMatchObject({ onHand: 0, reserved: 0 });
    expect(await paymentsOf(stack, input.orderId)).toMatchObject([{ status: 'VOIDED', captureCount: 0, voidCount: 1 }]);
    expect(await toldTypes(input.orderId)).toEqual(['ORDER_CANCELLED', 'ORDER_PLACED']);
    await captureHistory(stack, input.orderId, 'orchestrated-cancelled-out-of-stock', orchestratedOrderWorkflowId(input.orderId));
  });

  it('ends a declined card PAYMENT_DECLINED without asking inventory', async () => {
    const sku = await createProduct(stack, 2);
    const input = orderInput([{ sku, quantity: 1 }], 'tok_declined');
    const { result } = await runToEnd(input);
    expect(result).toMatchObject({ status: 'PAYMENT_DECLINED', payment: { status: 'DECLINED' }, inventory: { status: 'PENDING' } });
    expect((await ownerCall(`${stack.inventory}/reservations?orderId=${input.orderId}`)).body).toMatchObject({ outcome: null, reservations: [] });
    expect(await toldTypes(input.orderId)).toEqual(['ORDER_PLACED', 'PAYMENT_DECLINED']);
    await captureHistory(stack, input.orderId, 'orchestrated-payment-declined', orchestratedOrderWorkflowId(input.orderId));
  });

  it('rejects an invalid cart at once, calling nobody', async () => {
    const input = orderInput([{ sku: 'NO-SUCH-SKU', quantity: 1 }]);
    const { accepted, result } = await runToEnd(input);
    expect(accepted).toMatchObject({ status: 'REJECTED', reason: 'CART_INVALID' });
    expect(result.status).toBe('REJECTED');
    expect(await toldTypes(input.orderId)).toEqual([]);
    expect(await paymentsOf(stack, input.orderId)).toEqual([]);
    await captureHistory(stack, input.orderId, 'orchestrated-rejected', orchestratedOrderWorkflowId(input.orderId));
  });
});
