// End to end through HTTP, every component real: each terminal path, the last-unit race and idempotent order placement.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTemporalClient } from '../../platform/temporal/connection.js';
import { eventually } from '../support/broker.js';
import { captureHistory } from '../support/histories.js';
import {
  call, createProduct, getOrder, notificationsOf, orderRequest, paymentsOf, placeOrder, stockOf, waitForStatus, waitForTerminal,
} from '../support/http.js';
import { startStack, type Stack } from '../support/stack.js';
import { TEST_PAYLOAD_KEYS } from '../support/secrets.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.teardown();
});

describe('placing an order', () => {
  it('confirms an order in stock: priced by the server, paid once, stock taken once, customer told it was placed, confirmed, shipped and delivered', async () => {
    const sku = await createProduct(stack, 5, 1250);
    const request = orderRequest([{ sku, quantity: 2 }], { expectedTotal: 2500 });
    const placed = await placeOrder(stack, request);

    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.headers.get('location')).toBe(`/orders/${placed.body.orderId}`);
    expect(placed.body).toMatchObject({
      status: 'CART_VERIFIED',
      customerId: request.customerId,
      lines: [{ sku, name: `Test product ${sku}`, quantity: 2, unitPrice: 1250, lineTotal: 2500 }],
      total: 2500,
      currency: 'USD',
    });
    const { orderId } = placed.body;

    const order = await waitForStatus(stack, orderId, 'CONFIRMED');
    expect(order).toMatchObject({ payment: { status: 'CAPTURED' }, inventory: { status: 'COMMITTED' }, total: 2500 });
    expect(await paymentsOf(stack, orderId)).toMatchObject([{ status: 'CAPTURED', amount: 2500, captureCount: 1, voidCount: 0 }]);
    await eventually(async () => expect(await stockOf(stack, sku)).toMatchObject({ onHand: 3, reserved: 0 }));
    // Shipping joins by choreography alone: the confirmed order ships and arrives without the workflow knowing.
    await eventually(async () =>
      expect((await notificationsOf(stack, orderId)).map((n) => n.type).sort()).toEqual(['ORDER_CONFIRMED', 'ORDER_DELIVERED', 'ORDER_PLACED', 'ORDER_SHIPPED']),
    );
    await captureHistory(stack, orderId, 'confirmed');
  });

  it('links each order to its workflow in the Temporal web UI and keeps its search attributes current', async () => {
    const sku = await createProduct(stack, 5);
    const request = orderRequest([{ sku, quantity: 1 }]);
    const { body } = await placeOrder(stack, request);
    const order = await waitForStatus(stack, body.orderId, 'CONFIRMED');

    expect(order.links.temporalUi).toBe(`${stack.config.TEMPORAL_UI_URL}/namespaces/default/workflows/order-${body.orderId}`);
    expect((await fetch(order.links.temporalUi)).status).toBe(200);

    const client = await connectTemporalClient({ address: stack.config.TEMPORAL_ADDRESS, namespace: 'default', payloadKeys: TEST_PAYLOAD_KEYS });
    try {
      const found = await eventually(async () => {
        const ids: string[] = [];
        for await (const execution of client.workflow.list({ query: `OrderStatus = 'CONFIRMED' AND CustomerId = '${request.customerId}' AND OrderTotal = 1000` })) {
          ids.push(execution.workflowId);
        }
        expect(ids).toEqual([`order-${body.orderId}`]);
        return ids;
      });
      expect(found).toHaveLength(1);
    } finally {
      await client.connection.close();
    }

    // The operator's view: the Temporal CLI finds the order by its search attributes.
    const { stdout } = await promisify(execFile)(inject('infrastructure').temporalCliPath, [
      'workflow', 'list', '--address', stack.config.TEMPORAL_ADDRESS, '--namespace', 'default', '--output', 'json',
      '--query', `OrderStatus="CONFIRMED" AND CustomerId="${request.customerId}"`,
    ]);
    expect((JSON.parse(stdout) as { execution: { workflowId: string } }[]).map((w) => w.execution.workflowId)).toEqual([`order-${body.orderId}`]);

    const listed = await eventually(async () => {
      const answer = await call(`${stack.api}/orders?customerId=${request.customerId}&status=CONFIRMED`);
      expect(answer.body.orders).toHaveLength(1);
      return answer.body;
    });
    expect(listed.orders[0]).toMatchObject({ orderId: body.orderId, status: 'CONFIRMED', customerId: request.customerId });
    expect(listed.nextCursor).toBeNull();
  });

  it('rejects an invalid cart with 422 naming each line, before any payment', async () => {
    const sku = await createProduct(stack, 1);
    const answer = await placeOrder(stack, orderRequest([{ sku: 'NO-SUCH-SKU', quantity: 1 }, { sku, quantity: 2 }]));

    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({
      code: 'CART_INVALID',
      details: [{ sku: 'NO-SUCH-SKU', reason: 'UNKNOWN_SKU' }, { sku, reason: 'INSUFFICIENT_STOCK' }],
    });
    const orderId = answer.body.error.orderId as string;
    expect(orderId).toBeTruthy();
    expect((await getOrder(stack, orderId)).body).toMatchObject({ status: 'REJECTED' });
    expect(await paymentsOf(stack, orderId)).toEqual([]);
    await captureHistory(stack, orderId, 'rejected');
  });

  it('rejects with PRICE_CHANGED when the client expected another total', async () => {
    const sku = await createProduct(stack, 3, 700);
    const answer = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }], { expectedTotal: 600 }));
    expect(answer.status).toBe(422);
    expect(answer.body.error.details).toEqual([{ sku, reason: 'PRICE_CHANGED' }]);
  });

  it('ends PAYMENT_DECLINED when the card is declined, tells the customer, and leaves stock alone', async () => {
    const sku = await createProduct(stack, 2);
    const placed = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }], { paymentToken: 'tok_declined' }));
    expect(placed.status).toBe(201);
    const order = await waitForStatus(stack, placed.body.orderId, 'PAYMENT_DECLINED');
    expect(order.payment.status).toBe('DECLINED');
    await eventually(async () =>
      expect((await notificationsOf(stack, placed.body.orderId)).map((n) => n.type).sort()).toEqual(['ORDER_PLACED', 'PAYMENT_DECLINED']),
    );
    expect(await stockOf(stack, sku)).toMatchObject({ onHand: 2, reserved: 0 });
    await captureHistory(stack, placed.body.orderId, 'payment-declined');
  });

  it('retries a flaky processor and still charges once', async () => {
    const sku = await createProduct(stack, 2);
    const placed = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }], { paymentToken: 'tok_flaky' }));
    await waitForStatus(stack, placed.body.orderId, 'CONFIRMED', 60_000);
    expect(await paymentsOf(stack, placed.body.orderId)).toMatchObject([{ status: 'CAPTURED', captureCount: 1 }]);
  });
});

describe('cancellation', () => {
  it('cancels at the customer\'s request while inventory has not answered: payment voided, nothing reserved', async () => {
    const sku = await createProduct(stack, 4);
    await stack.stop('inventory');
    try {
      const placed = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]));
      await waitForStatus(stack, placed.body.orderId, 'PAYMENT_AUTHORIZED');
      const cancelled = await call(`${stack.api}/orders/${placed.body.orderId}/cancel`, { method: 'POST' });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toEqual({ orderId: placed.body.orderId, status: 'CANCELLED' });
      expect((await getOrder(stack, placed.body.orderId)).body).toMatchObject({ status: 'CANCELLED', reason: 'CUSTOMER_REQUEST', payment: { status: 'VOIDED' } });
      expect(await paymentsOf(stack, placed.body.orderId)).toMatchObject([{ status: 'VOIDED', captureCount: 0, voidCount: 1 }]);

      const again = await call(`${stack.api}/orders/${placed.body.orderId}/cancel`, { method: 'POST' });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('CANNOT_CANCEL');
      await captureHistory(stack, placed.body.orderId, 'cancelled-customer-request');
    } finally {
      await stack.start('inventory');
    }
    // Inventory catches up on order.paid then order.cancelled: whatever it reserved is released again.
    await eventually(async () => expect(await stockOf(stack, sku)).toMatchObject({ onHand: 4, reserved: 0 }), { timeoutMs: 30_000 });
  });

  it('refuses to cancel a confirmed order with 409 CANNOT_CANCEL, and 404 for an unknown one', async () => {
    const sku = await createProduct(stack, 2);
    const placed = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]));
    await waitForStatus(stack, placed.body.orderId, 'CONFIRMED');
    const refused = await call(`${stack.api}/orders/${placed.body.orderId}/cancel`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CANNOT_CANCEL');
    expect((await call(`${stack.api}/orders/${randomUUID()}/cancel`, { method: 'POST' })).status).toBe(404);
  });

  it('cancels OUT_OF_STOCK and voids the payment when inventory cannot reserve what the replica promised', async () => {
    const sku = await createProduct(stack, 1);
    // With inventory away, both orders pass verification against the replica's "1 available" and wait for the outcome.
    await stack.stop('inventory');
    let first: string;
    let second: string;
    try {
      first = (await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]))).body.orderId;
      await waitForStatus(stack, first, 'PAYMENT_AUTHORIZED');
      second = (await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]))).body.orderId;
      await waitForStatus(stack, second, 'PAYMENT_AUTHORIZED');
    } finally {
      await stack.start('inventory');
    }
    // Nothing promises which of the two order.paid events inventory sees first: exactly one wins the unit.
    const finals = await Promise.all([first, second].map((orderId) => waitForTerminal(stack, orderId)));
    expect(finals.map((order) => order.status).sort()).toEqual(['CANCELLED', 'CONFIRMED']);
    const winner = finals.find((order) => order.status === 'CONFIRMED')!;
    const loser = finals.find((order) => order.status === 'CANCELLED')!;
    expect(loser).toMatchObject({ reason: 'OUT_OF_STOCK', payment: { status: 'VOIDED' }, inventory: { status: 'REJECTED' } });
    expect(await paymentsOf(stack, loser.orderId)).toMatchObject([{ status: 'VOIDED', captureCount: 0 }]);
    expect(await paymentsOf(stack, winner.orderId)).toMatchObject([{ status: 'CAPTURED', captureCount: 1 }]);
    await eventually(async () => expect(await stockOf(stack, sku)).toMatchObject({ onHand: 0, reserved: 0 }));
    await eventually(async () =>
      expect((await notificationsOf(stack, loser.orderId)).map((n) => n.type).sort()).toEqual(['ORDER_CANCELLED', 'ORDER_PLACED']),
    );
    await captureHistory(stack, loser.orderId, 'cancelled-out-of-stock');
  });
});

describe('the last unit', () => {
  it('goes to exactly one of two racing buyers; the other is rejected or cancelled with its payment voided', async () => {
    const sku = await createProduct(stack, 1);
    const answers = await Promise.all([1, 2].map(() => placeOrder(stack, orderRequest([{ sku, quantity: 1 }]))));
    const finals = await Promise.all(
      answers.map(async (answer) => {
        if (answer.status === 422) return { orderId: answer.body.error.orderId as string, status: 'REJECTED' };
        expect(answer.status).toBe(201);
        return eventually(async () => {
          const order = (await getOrder(stack, answer.body.orderId)).body;
          expect(['CONFIRMED', 'CANCELLED', 'REJECTED']).toContain(order.status);
          return order as { orderId: string; status: string };
        }, { timeoutMs: 30_000 });
      }),
    );
    expect(finals.filter((order) => order.status === 'CONFIRMED')).toHaveLength(1);
    const loser = finals.find((order) => order.status !== 'CONFIRMED')!;
    expect(['REJECTED', 'CANCELLED']).toContain(loser.status);
    for (const payment of await paymentsOf(stack, loser.orderId)) expect(payment).toMatchObject({ status: 'VOIDED', captureCount: 0 });
    await eventually(async () => expect(await stockOf(stack, sku)).toMatchObject({ onHand: 0, reserved: 0 }));
  });
});

describe('Idempotency-Key', () => {
  it('gives one order and the same answer to the same key and body, even concurrently', async () => {
    const sku = await createProduct(stack, 5);
    const key = randomUUID();
    const request = orderRequest([{ sku, quantity: 1 }]);
    const [first, second] = await Promise.all([placeOrder(stack, request, key), placeOrder(stack, request, key)]);
    const third = await placeOrder(stack, request, key);

    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(third.body).toEqual(first.body);
    expect(third.headers.get('location')).toBe(first.headers.get('location'));
    await waitForStatus(stack, first.body.orderId, 'CONFIRMED');
    expect(await paymentsOf(stack, first.body.orderId)).toHaveLength(1);
    await eventually(async () => expect(await stockOf(stack, sku)).toMatchObject({ onHand: 4 }));
  });

  it('answers 409 when the same key comes with another body', async () => {
    const sku = await createProduct(stack, 5);
    const key = randomUUID();
    expect((await placeOrder(stack, orderRequest([{ sku, quantity: 1 }], { customerId: 'same' }), key)).status).toBe(201);
    const conflict = await placeOrder(stack, orderRequest([{ sku, quantity: 2 }], { customerId: 'same' }), key);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
