// Fault test: inventory never answers within the deadline; the orders are voided and cancelled, and inventory, back later, releases whatever it reserves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryQueueName } from '../../event-handlers/inventory/index.js';
import { eventually, queueDepth } from '../support/broker.js';
import { call, ownerCall, paymentsOf } from '../support/http.js';
import { startFaultCluster, type FaultCluster } from '../support/faults/cluster.js';
import { Scenario } from '../support/faults/scenario.js';

let cluster: FaultCluster;

beforeAll(async () => {
  // A cluster of its own: a deadline this short would cancel orders in scenarios where inventory is merely slow.
  cluster = await startFaultCluster({ env: { INVENTORY_TIMEOUT: '5s' } });
});
afterAll(async () => {
  await cluster?.teardown();
});

describe('inventory never answers', () => {
  it('the deadline passes: payment voided, CANCELLED with INVENTORY_TIMEOUT; inventory, started later, releases whatever it reserves late, leaving stock as it was', async () => {
    const scenario = new Scenario(cluster);
    const plenty = await scenario.product(10);
    const scarce = await scenario.product(1);
    await cluster.kill('inventory', 'SIGTERM');

    await scenario.orders(3, () => [{ sku: plenty, quantity: 2 }], {}, 3);
    // Two orders for the last unit: when inventory comes back, one reservation succeeds and one is rejected, both too late.
    await scenario.orders(2, () => [{ sku: scarce, quantity: 1 }, { sku: plenty, quantity: 1 }], {}, 2);
    expect(scenario.orderIds).toHaveLength(5);

    for (const orderId of scenario.orderIds) {
      const order = await scenario.waitForStatus(orderId, 'CANCELLED', 60_000);
      expect(order).toMatchObject({ reason: 'INVENTORY_TIMEOUT', payment: { status: 'VOIDED' } });
      expect(await paymentsOf(cluster, orderId)).toMatchObject([{ status: 'VOIDED', captureCount: 0, voidCount: 1 }]);
    }
    // Inventory's backlog: each order's order.paid and its order.cancelled, waiting for a handler that is not there.
    const queue = inventoryQueueName(cluster.env.EVENTS_EXCHANGE ?? 'ensemble.events');
    await eventually(async () => expect(await queueDepth(cluster.managementUrl, queue)).toBe(10), { timeoutMs: 30_000, intervalMs: 250 });

    await cluster.start('inventory');
    const report = await scenario.ledger();
    // Inventory's late outcomes did not revive any order: the workflow had already decided.
    expect(Object.values(report.statuses)).toEqual(Array(5).fill('CANCELLED'));
    for (const orderId of scenario.orderIds) expect((await call(`${cluster.api}/orders/${orderId}`)).body.reason).toBe('INVENTORY_TIMEOUT');
    // Inventory handles its backlog concurrently, so whether it saw an order's order.paid before its order.cancelled is
    // not promised: what it reserved late it released. Both orders may have held the last unit one after the other
    // (reserved, released, reserved again, released); never both at once, which the store's stock_never_negative
    // constraint forbids, and the ledger's stock check above confirmed the unit is back.
    const scarceReservations = await Promise.all(
      scenario.orderIds.slice(3).map(async (orderId) => (await ownerCall(`${cluster.inventory}/reservations?orderId=${orderId}`)).body.reservations),
    );
    const scarceStatuses = scarceReservations.flat().filter((r: { sku: string; status: string }) => r.sku === scarce).map((r: { status: string }) => r.status);
    expect(scarceStatuses.length).toBeLessThanOrEqual(2);
    expect(scarceStatuses.every((status: string) => status === 'RELEASED')).toBe(true);
    const allStatuses = scarceReservations.flat().concat(
      ...(await Promise.all(scenario.orderIds.slice(0, 3).map(async (orderId) => (await ownerCall(`${cluster.inventory}/reservations?orderId=${orderId}`)).body.reservations))),
    );
    expect(allStatuses.filter((r: { status: string }) => r.status !== 'RELEASED')).toEqual([]);
  });
});
