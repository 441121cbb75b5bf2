// End to end: the inventory watchdog flags an order that waits too long on inventory, in the order, its timeline and Temporal's visibility.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectTemporalClient } from '../../platform/temporal/connection.js';
import { eventually, readUntil } from '../support/broker.js';
import { captureHistory } from '../support/histories.js';
import { call, createProduct, getOrder, orderRequest, placeOrder, waitForStatus } from '../support/http.js';
import { startStack, type Stack } from '../support/stack.js';
import { TEST_PAYLOAD_KEYS } from '../support/secrets.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { INVENTORY_TIMEOUT: '30s', INVENTORY_SLOW_AFTER: '1s' } });
});
afterAll(async () => {
  await stack?.teardown();
});

it('flags an order slow once it has waited INVENTORY_SLOW_AFTER, and it still confirms when inventory answers before the deadline', async () => {
  const sku = await createProduct(stack, 3);
  await stack.stop('inventory');
  let orderId: string;
  try {
    orderId = (await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]))).body.orderId;
    const slow = await readUntil(async () => (await getOrder(stack, orderId)).body, (order) => order.inventory?.slow === true);
    expect(slow).toMatchObject({ status: 'PAYMENT_AUTHORIZED', inventory: { status: 'AWAITING', slow: true, awaitingSince: expect.any(String) } });

    // Operators find slow orders in Temporal's visibility (the web UI's filter, or the CLI).
    const client = await connectTemporalClient({ address: stack.config.TEMPORAL_ADDRESS, namespace: stack.config.TEMPORAL_NAMESPACE, payloadKeys: TEST_PAYLOAD_KEYS });
    try {
      await eventually(async () => {
        const found: string[] = [];
        for await (const execution of client.workflow.list({ query: `InventorySlow = true AND ExecutionStatus = 'Running' AND WorkflowId = 'order-${orderId}'` })) {
          found.push(execution.workflowId);
        }
        expect(found).toEqual([`order-${orderId}`]);
      });
    } finally {
      await client.connection.close();
    }

    const timeline = (await call(`${stack.api}/orders/${orderId}/timeline`)).body;
    const kinds = timeline.entries.map((entry: { kind: string; name: string }) => `${entry.kind} ${entry.name}`);
    expect(kinds).toContain('timer-fired inventory-slow-after');
    expect(kinds).toContain('inventory-slow watchdog');
    expect(kinds.indexOf('inventory-slow watchdog')).toBeGreaterThan(kinds.indexOf('timer-fired inventory-slow-after'));
  } finally {
    await stack.start('inventory');
  }
  const confirmed = await waitForStatus(stack, orderId, 'CONFIRMED');
  // Slow is part of the order's story, not a state it leaves.
  expect(confirmed.inventory).toMatchObject({ status: 'COMMITTED', slow: true });
  await captureHistory(stack, orderId, 'confirmed-after-slow-inventory');
});

it('does not flag an order inventory answers in time', async () => {
  const sku = await createProduct(stack, 3);
  const { orderId } = (await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]))).body;
  const confirmed = await waitForStatus(stack, orderId, 'CONFIRMED');
  expect(confirmed.inventory.slow).toBeUndefined();
});
