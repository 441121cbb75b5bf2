// End to end: when inventory never answers, the deadline passes, the payment is voided and the order is CANCELLED.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, queueDepth } from '../support/broker.js';
import { captureHistory } from '../support/histories.js';
import { call, createProduct, notificationsOf, orderRequest, paymentsOf, placeOrder, stockOf, waitForStatus } from '../support/http.js';
import { startStack, type Stack } from '../support/stack.js';
import { inject } from 'vitest';
import { consumerQueueName, deadLetterQueueName } from '../../platform/messaging/wire-names.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { INVENTORY_TIMEOUT: '3s' } });
});
afterAll(async () => {
  await stack?.teardown();
});

it('cancels with INVENTORY_TIMEOUT and voids the payment; a late reservation is released and the late outcome dropped', async () => {
  const sku = await createProduct(stack, 3);
  await stack.stop('inventory');
  let orderId: string;
  try {
    orderId = (await placeOrder(stack, orderRequest([{ sku, quantity: 2 }]))).body.orderId;
    const order = await waitForStatus(stack, orderId, 'CANCELLED');
    expect(order).toMatchObject({ reason: 'INVENTORY_TIMEOUT', payment: { status: 'VOIDED' }, inventory: { status: 'TIMED_OUT' } });
    expect(await paymentsOf(stack, orderId)).toMatchObject([{ status: 'VOIDED', captureCount: 0, voidCount: 1 }]);
    // The timeline says why: the deadline's timer fired with inventory silent, then the void and the cancellation.
    const timeline = (await call(`${stack.api}/orders/${orderId}/timeline`)).body;
    const story = timeline.entries.filter((entry: { source: string }) => entry.source !== 'notifications').map((entry: { kind: string; name: string }) => `${entry.kind} ${entry.name}`);
    expect(story.slice(story.indexOf('timer-fired inventory-deadline'))).toEqual(
      expect.arrayContaining(['timer-fired inventory-deadline', 'step-completed voidPayment', 'event-published order.cancelled', 'workflow-completed CANCELLED']),
    );
    expect(timeline.unavailableSources).toEqual([{ source: 'inventory', message: expect.any(String) }]);
    await captureHistory(stack, orderId, 'cancelled-inventory-timeout');
  } finally {
    await stack.start('inventory');
  }

  // Inventory comes back and works through its backlog: it reserves for the paid order, then releases on its cancellation.
  await eventually(async () => expect(await stockOf(stack, sku)).toMatchObject({ onHand: 3, reserved: 0 }), { timeoutMs: 30_000 });
  await eventually(async () =>
    expect((await notificationsOf(stack, orderId)).map((n) => n.type).sort()).toEqual(['ORDER_CANCELLED', 'ORDER_PLACED']),
  );
  // The bridge finds the workflow closed: the outcome is acknowledged, neither retried forever nor dead-lettered.
  const management = inject('infrastructure').amqpManagementUrl;
  const outcomeQueue = consumerQueueName(stack.config.EVENTS_EXCHANGE, 'order-outcome');
  await eventually(async () => expect(await queueDepth(management, outcomeQueue)).toBe(0));
  expect(await queueDepth(management, deadLetterQueueName(outcomeQueue))).toBe(0);
});
