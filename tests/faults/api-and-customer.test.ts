// Fault tests at the edge: a customer's cancel racing inventory's outcome, and the API killed between starting an order and answering.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/broker.js';
import { call, orderRequest, placeOrder, type Answer } from '../support/http.js';
import { startFaultCluster, type FaultCluster } from '../support/faults/cluster.js';
import { Scenario } from '../support/faults/scenario.js';

let cluster: FaultCluster;

beforeAll(async () => {
  cluster = await startFaultCluster();
});
afterAll(async () => {
  await cluster?.teardown();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('customer cancel racing the inventory outcome', () => {
  it('exactly one of confirm or cancel wins each order; the cancel answer, the money and the stock agree with it', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(100);
    const count = 40;
    const results: { orderId: string; cancel: Answer }[] = [];

    const raceOne = async (index: number) => {
      const answer = await scenario.order([{ sku, quantity: 1 }]);
      expect(answer.status).toBe(201);
      const orderId = answer.body.orderId as string;
      // Fire when the payment is authorized, i.e. about when inventory is answering; the stagger spreads the cancels
      // across the moment the outcome lands, so some come just before it and some just after.
      await eventually(async () => {
        const { body } = await call(`${cluster.api}/orders/${orderId}`);
        expect(['PAYMENT_AUTHORIZED', 'CONFIRMED', 'CANCELLED']).toContain(body?.status);
      }, { timeoutMs: 60_000, intervalMs: 20 });
      await sleep((index % 8) * 40);
      results.push({ orderId, cancel: await call(`${cluster.api}/orders/${orderId}/cancel`, { method: 'POST' }) });
    };
    // A few at a time: forty pollers at once would measure the machine, not the race.
    for (let i = 0; i < count; i += 5) await Promise.all(Array.from({ length: 5 }, (_, j) => raceOne(i + j)));

    const report = await scenario.ledger();
    let cancelled = 0;
    for (const { orderId, cancel } of results) {
      const final = (await call(`${cluster.api}/orders/${orderId}`)).body as { status: string; reason?: string };
      const where = `order ${orderId}: cancel answered ${cancel.status} ${JSON.stringify(cancel.body)}, final ${JSON.stringify(final)}`;
      expect(report.statuses[orderId], where).toBe(final.status);
      if (cancel.status === 200) {
        cancelled += 1;
        expect(cancel.body, where).toEqual({ orderId, status: 'CANCELLED' });
        expect(final, where).toMatchObject({ status: 'CANCELLED', reason: 'CUSTOMER_REQUEST' });
      } else {
        expect(cancel.status, where).toBe(409);
        expect(cancel.body?.error?.code, where).toBe('CANNOT_CANCEL');
        expect(final.status, where).toBe('CONFIRMED');
      }
    }
    console.info(`cancel race: ${cancelled} of ${count} cancels won, ${count - cancelled} lost to the inventory outcome`);
    expect(report.confirmedUnits[sku] ?? 0).toBe(count - cancelled);
  });
});

describe('the API killed between receiving an order and answering', () => {
  it('the client retries with the same Idempotency-Key and gets the one order, answered as a fresh request would have been', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(10, 750);
    const customerId = `cust-crash-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();

    await cluster.kill('api', 'SIGTERM');
    await cluster.start('api', { CRASH_AT: 'api:before-answer' });
    await eventually(async () => expect((await fetch(`${cluster.api}/ready`)).status).toBe(200), { timeoutMs: 60_000, intervalMs: 250 });

    // The client's retry loop (same key) runs while the API dies and comes back without the crash point.
    const placing = scenario.order([{ sku, quantity: 2 }], { customerId }, key);
    expect((await cluster.exited('api')).signal).toBe('SIGKILL');
    await cluster.start('api');
    const answer = await placing;
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const orderId = answer.body.orderId as string;

    // A later retry is answered the same, from the stored answer this time.
    const again = await placeOrder(cluster, orderRequest([{ sku, quantity: 2 }], { customerId }), key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(answer.body);
    expect(again.headers.get('location')).toBe(answer.headers.get('location'));

    // What a fresh request for the same cart answers: the same shape, only its own identity differs.
    const fresh = await scenario.order([{ sku, quantity: 2 }]);
    expect(fresh.status).toBe(201);
    const comparable = (body: Record<string, unknown>) => {
      const { orderId: _id, customerId: _customer, createdAt: _created, links, ...rest } = body as Record<string, unknown> & { links: Record<string, string> };
      return { ...rest, linkNames: Object.keys(links).sort() };
    };
    expect(comparable(answer.body)).toEqual(comparable(fresh.body));
    expect(answer.body).toMatchObject({ orderId, customerId, status: 'CART_VERIFIED', total: 1500 });
    expect(answer.headers.get('location')).toBe(`/orders/${orderId}`);

    // One workflow for the customer: the retry attached to the order the crashed API had started.
    await eventually(async () => {
      const listed = await call(`${cluster.api}/orders?customerId=${customerId}`);
      expect(listed.body.orders.map((order: { orderId: string }) => order.orderId)).toEqual([orderId]);
    }, { timeoutMs: 30_000, intervalMs: 500 });

    const report = await scenario.ledger();
    expect(report.statuses).toEqual({ [orderId]: 'CONFIRMED', [fresh.body.orderId as string]: 'CONFIRMED' });
    expect(report.confirmedUnits[sku]).toBe(4);
  });
});
