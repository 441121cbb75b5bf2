// Fault tests: the worker killed at the worst moments; every order still ends once, with money and stock agreeing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerCall } from '../support/http.js';
import { startFaultCluster, type FaultCluster } from '../support/faults/cluster.js';
import { Scenario } from '../support/faults/scenario.js';

let cluster: FaultCluster;

beforeAll(async () => {
  cluster = await startFaultCluster();
});
afterAll(async () => {
  await cluster?.teardown();
});

describe('worker crashes', () => {
  it('killed while payment is being authorized: the retried authorization finds the first one', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(10);
    // Hold authorizations at the processor long enough for the kill to land mid-request.
    await ownerCall(`${cluster.paymentProvider}/__faults`, { method: 'POST', body: { delayMs: 3_000, delayNextRequests: 3 } });
    const answers = await Promise.all([1, 2, 3].map(() => scenario.order([{ sku, quantity: 1 }])));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await cluster.kill('worker');
    await ownerCall(`${cluster.paymentProvider}/__faults`, { method: 'DELETE' });
    await cluster.start('worker');
    const report = await scenario.ledger();
    expect(Object.values(report.statuses)).toEqual(['CONFIRMED', 'CONFIRMED', 'CONFIRMED']);
  });

  it('killed after authorization, before the publish: one authorization, one capture', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(5);
    await cluster.kill('worker', 'SIGTERM');
    await cluster.start('worker', { CRASH_AT: 'worker:after-authorize' });
    const answer = await scenario.order([{ sku, quantity: 2 }]);
    expect(answer.status).toBe(201);
    expect((await cluster.exited('worker')).signal).toBe('SIGKILL');
    await cluster.start('worker');
    const report = await scenario.ledger();
    expect(Object.values(report.statuses)).toEqual(['CONFIRMED']);
  });

  it('killed while orders wait for inventory: the orders resume and complete on the restarted worker', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(20);
    await cluster.kill('inventory', 'SIGTERM');
    await scenario.orders(10, () => [{ sku, quantity: 1 }]);
    for (const orderId of scenario.orderIds) await scenario.waitForStatus(orderId, 'PAYMENT_AUTHORIZED');
    await cluster.kill('worker');
    await cluster.start('inventory');
    await cluster.start('worker');
    const report = await scenario.ledger();
    expect(Object.values(report.statuses).every((status) => status === 'CONFIRMED')).toBe(true);
    expect(report.confirmedUnits[sku]).toBe(10);
  });
});
