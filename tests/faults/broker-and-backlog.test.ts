// Fault tests: the broker restarted mid-flow, and a consumer down for a long backlog; every order still ends once, with money and stock agreeing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, queueDepth } from '../support/broker.js';
import { call } from '../support/http.js';
import { startFaultCluster, type FaultCluster } from '../support/faults/cluster.js';
import { Scenario } from '../support/faults/scenario.js';

let cluster: FaultCluster;

beforeAll(async () => {
  // The 500-order backlog waits for inventory longer than the cluster's usual 2m deadline would allow on a busy machine.
  cluster = await startFaultCluster({ env: { INVENTORY_TIMEOUT: '10m' } });
});
afterAll(async () => {
  await cluster?.teardown();
});

const count = (statuses: Record<string, string>, status: string) => Object.values(statuses).filter((s) => s === status).length;

describe('broker and backlog', () => {
  it('the broker restarted while 200 orders flow: the API keeps accepting, publishes retry, consumers reconnect, every order completes', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(1_000);

    const placing = scenario.orders(200, () => [{ sku, quantity: 1 }]);
    // Let the flow get going so the outage hits orders at every step: publishing, reserving, signalling, committing.
    await eventually(() => expect(scenario.orderIds.length).toBeGreaterThanOrEqual(60), { timeoutMs: 120_000, intervalMs: 100 });
    await cluster.stopBroker();
    const acceptedAtStop = scenario.orderIds.length;
    // Orders only need Temporal and the catalog replica to be accepted: the API keeps taking them with the broker away.
    await eventually(() => expect(scenario.orderIds.length).toBeGreaterThanOrEqual(Math.min(200, acceptedAtStop + 30)), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    await cluster.startBroker();

    const answers = await placing;
    expect(answers.map((answer) => answer.status).filter((status) => status !== 201)).toEqual([]);
    expect(scenario.orderIds).toHaveLength(200);
    const report = await scenario.ledger();
    expect(count(report.statuses, 'CONFIRMED')).toBe(200);
    expect(report.confirmedUnits[sku]).toBe(200);
  });

  it('inventory down while 500 orders are placed, then started: the backlog drains and every workflow gets its outcome', async () => {
    const scenario = new Scenario(cluster);
    const plenty = await scenario.product(1_000);
    // Too little for the orders that want it: inventory must reject the rest, never sell below zero.
    const scarce = await scenario.product(40);
    await cluster.kill('inventory', 'SIGTERM');

    let placed = 0;
    // One order in five wants the scarce product: 400 for plenty, 100 for scarce (40 can be served).
    const answers = await scenario.orders(500, () => [{ sku: placed++ % 5 === 4 ? scarce : plenty, quantity: 1 }]);
    expect(answers.map((answer) => answer.status).filter((status) => status !== 201)).toEqual([]);

    // Every order paid and waiting: the whole backlog sits in inventory's queue, nothing handled yet.
    await eventually(async () => expect(await queueDepth(cluster.managementUrl, 'inventory')).toBe(500), { timeoutMs: 120_000, intervalMs: 1_000 });
    const waiting = await call(`${cluster.api}/orders/${scenario.orderIds[0]}`);
    expect(waiting.body).toMatchObject({ status: 'PAYMENT_AUTHORIZED', inventory: { status: 'AWAITING' } });

    const started = Date.now();
    await cluster.start('inventory');
    const report = await scenario.ledger({ timeoutMs: 300_000 });
    console.log(`500-order backlog drained and settled in ${Math.round((Date.now() - started) / 1000)}s`);

    expect(count(report.statuses, 'CONFIRMED')).toBe(440);
    expect(count(report.statuses, 'CANCELLED')).toBe(60);
    expect(report.confirmedUnits).toEqual({ [plenty]: 400, [scarce]: 40 });
    // Every cancellation is inventory's answer, none a deadline that ran out while the backlog drained.
    const cancelled = Object.entries(report.statuses).filter(([, status]) => status === 'CANCELLED').map(([orderId]) => orderId);
    for (const orderId of cancelled) {
      const order = await call(`${cluster.api}/orders/${orderId}`);
      expect(order.body, orderId).toMatchObject({ reason: 'OUT_OF_STOCK', inventory: { status: 'REJECTED' }, lines: [{ sku: scarce }] });
    }
  });
});
