// Fault tests: event handlers killed between commit, signal and ack (shipping between the carrier's booking and its commit), and one event delivered twice at once to two instances.
import amqplib from 'amqplib';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationEvent } from '../../platform/events/catalog.js';
import { orderWorkflowId } from '../../workflows/contract.js';
import { eventually, watchEvents } from '../support/broker.js';
import { call, ownerCall } from '../support/http.js';
import { startFaultCluster, type FaultCluster, type InstanceName } from '../support/faults/cluster.js';
import { Scenario } from '../support/faults/scenario.js';

const EXCHANGE = 'ensemble.events';
let cluster: FaultCluster;

beforeAll(async () => {
  cluster = await startFaultCluster();
});
afterAll(async () => {
  await cluster?.teardown();
});

/** The JSON log lines of an instance that carry the given message. */
function logged(name: InstanceName, msg: string): Record<string, unknown>[] {
  return cluster
    .logOf(name)
    .split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function reservationsOf(orderId: string): Promise<{ sku: string; status: string }[]> {
  return (await ownerCall(`${cluster.inventory}/reservations?orderId=${orderId}`)).body.reservations;
}

/** Reads a component's store directly: with the component dead, only the database can say what it committed. */
async function storeRows<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: cluster.env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe('handler crashes', () => {
  it('inventory killed after its commit, before the outcome is published: the redelivery is deduplicated and the outcome published once', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(5);
    const outcomes = await watchEvents(cluster.amqpUrl, EXCHANGE, ['inventory.*']);
    try {
      await cluster.kill('inventory', 'SIGTERM');
      const armed = await cluster.start('inventory', { CRASH_AT: 'inventory:after-commit' });
      const answer = await scenario.order([{ sku, quantity: 2 }]);
      expect(answer.status).toBe(201);
      const orderId = answer.body.orderId as string;
      expect((await armed.exited).signal).toBe('SIGKILL');

      // Committed: the stock is held and the outcome sits unpublished in the outbox; nothing reached the broker or the order.
      expect(await storeRows('SELECT sku, status FROM inventory.reservations WHERE order_id = $1', [orderId])).toEqual([{ sku, status: 'RESERVED' }]);
      const queued = await storeRows('SELECT event_type, published_at FROM inventory.outbox WHERE payload->>\'orderId\' = $1', [orderId]);
      expect(queued).toEqual([{ event_type: 'inventory.reserved', published_at: null }]);
      expect(outcomes.events.filter((event) => event.orderId === orderId)).toEqual([]);
      expect((await call(`${cluster.api}/orders/${orderId}`)).body).toMatchObject({ status: 'PAYMENT_AUTHORIZED', inventory: { status: 'AWAITING' } });

      await cluster.start('inventory');
      const report = await scenario.ledger();
      expect(report.statuses).toEqual({ [orderId]: 'CONFIRMED' });
      expect(report.confirmedUnits[sku]).toBe(2);
      // The redelivered order.paid found its id in the inbox; the relay published the one outcome the commit queued.
      expect(logged('inventory', 'duplicate event ignored').map((line) => line.eventId)).toContain(`${orderId}:order.paid`);
      expect(outcomes.events.filter((event) => event.orderId === orderId).map((event) => event.type)).toEqual(['inventory.reserved']);

      // The timeline tells it: handled (recorded with the commit), then the redelivery as attempt 2, a duplicate ignored.
      const timeline = (await call(`${cluster.api}/orders/${orderId}/timeline`)).body;
      const paid = timeline.entries.filter((entry: any) => entry.source === 'inventory' && entry.kind === 'event-consumed' && entry.name === 'order.paid');
      expect(paid.map((entry: any) => [entry.attempt, entry.detail.outcome, entry.detail.redelivered ?? false])).toEqual([
        [1, 'handled', false],
        [2, 'duplicate', true],
      ]);
      expect(timeline.entries.filter((entry: any) => entry.kind === 'event-relayed' && entry.source === 'inventory').map((entry: any) => entry.name)).toEqual(['inventory.reserved']);
    } finally {
      await outcomes.close();
    }
  });

  it('the order-outcome bridge killed after the signal, before the ack: the redelivered outcome is signalled again and ignored', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(5);
    await cluster.kill('order-outcome', 'SIGTERM');
    const answer = await scenario.order([{ sku, quantity: 1 }]);
    expect(answer.status).toBe(201);
    const orderId = answer.body.orderId as string;
    // Inventory has answered; its outcome waits in the bridge's queue.
    await eventually(async () => expect(await reservationsOf(orderId)).toMatchObject([{ sku, status: 'RESERVED' }]), { timeoutMs: 60_000, intervalMs: 200 });

    // The processor refuses the next captures (503, retried with backoff: 1+2+4+8 s) so the order is still running when
    // the restarted bridge signals again: the duplicate must reach the workflow, not a finished run.
    await ownerCall(`${cluster.paymentProvider}/__faults`, { method: 'POST', body: { failNextRequests: 4 } });
    const armed = await cluster.start('order-outcome', { CRASH_AT: 'order-outcome:after-signal' });
    expect((await armed.exited).signal).toBe('SIGKILL');
    await cluster.start('order-outcome');

    const report = await scenario.ledger();
    await ownerCall(`${cluster.paymentProvider}/__faults`, { method: 'DELETE' });
    expect(report.statuses).toEqual({ [orderId]: 'CONFIRMED' });

    // Two signals in the order's history (the first and the redelivery), one outcome acted on: one capture (checked by the ledger).
    const connection = await Connection.connect({ address: cluster.env.TEMPORAL_ADDRESS });
    try {
      const history = await new Client({ connection }).workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
      const signals = (history.events ?? []).filter((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'inventoryOutcome');
      expect(signals).toHaveLength(2);
    } finally {
      await connection.close();
    }
  });

  it('the same order.paid delivered twice at the same moment to two inventory instances: reserved and counted once', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(30);
    await cluster.start('inventory#2');

    // A copy of each real order.paid for this product, same eventId, published the moment the original is seen:
    // the two copies sit next to each other in inventory's queue and the two competing consumers each take one.
    const connection = await amqplib.connect(cluster.amqpUrl);
    const channel = await connection.createConfirmChannel();
    const duplicated: string[] = [];
    try {
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, EXCHANGE, 'order.paid');
      await channel.consume(queue, (message) => {
        if (!message || message.properties.headers?.['x-test-duplicate']) return;
        const event = JSON.parse(message.content.toString('utf8')) as IntegrationEvent<'order.paid'>;
        if (event.data.lines[0]?.sku !== sku) return;
        duplicated.push(event.eventId);
        const p = message.properties;
        channel.publish(EXCHANGE, message.fields.routingKey, message.content, {
          persistent: true,
          mandatory: true,
          contentType: p.contentType as string,
          messageId: p.messageId as string,
          type: p.type as string,
          correlationId: p.correlationId as string,
          timestamp: p.timestamp as number,
          headers: { ...p.headers, 'x-test-duplicate': 'yes' },
        });
      }, { noAck: true });

      const answers = await scenario.orders(20, () => [{ sku, quantity: 1 }], {}, 5);
      expect(answers.map((answer) => answer.status).filter((status) => status !== 201)).toEqual([]);
      const report = await scenario.ledger();
      expect(Object.values(report.statuses).filter((status) => status === 'CONFIRMED')).toHaveLength(20);
      expect(report.confirmedUnits[sku]).toBe(20);
      expect(duplicated.sort()).toEqual(scenario.orderIds.map((orderId) => `${orderId}:order.paid`).sort());
    } finally {
      await connection.close();
    }

    // Each event reserved once and ignored once, and for some orders the two copies went to different instances.
    const byInstance = (['inventory', 'inventory#2'] as const).map((name) => ({
      reserved: new Set(logged(name, 'order reserved').map((line) => line.orderId as string)),
      ignored: new Set(logged(name, 'duplicate event ignored').map((line) => String(line.eventId).replace(/:order\.paid$/, ''))),
    }));
    let split = 0;
    for (const orderId of scenario.orderIds) {
      const reservedBy = byInstance.filter((instance) => instance.reserved.has(orderId));
      const ignoredBy = byInstance.filter((instance) => instance.ignored.has(orderId));
      expect(reservedBy, `instances that reserved ${orderId}`).toHaveLength(1);
      expect(ignoredBy, `instances that ignored the copy of ${orderId}`).toHaveLength(1);
      if (reservedBy[0] !== ignoredBy[0]) split++;
    }
    console.log(`${split} of 20 duplicated order.paid events had their two copies handled by different instances`);
    expect(split).toBeGreaterThan(0);
  });

  it('shipping killed after the carrier booked the parcel, before it recorded the dispatch: restarted, it books again under the same key and ships once', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(5);
    const shipments = await watchEvents(cluster.amqpUrl, EXCHANGE, ['shipment.*']);
    try {
      await cluster.kill('shipping', 'SIGTERM');
      const armed = await cluster.start('shipping', { CRASH_AT: 'shipping:after-booking' });
      const answer = await scenario.order([{ sku, quantity: 1 }]);
      expect(answer.status).toBe(201);
      const orderId = answer.body.orderId as string;
      expect((await armed.exited).signal).toBe('SIGKILL');

      // The carrier has the parcel; shipping's store still says "to book", its outbox holds nothing, nothing left for the broker.
      const [booked] = (await ownerCall(`${cluster.carrier}/shipments?orderId=${orderId}`)).body.shipments as { id: string; trackingNumber: string }[];
      expect(booked).toBeDefined();
      expect(await storeRows('SELECT status, attempts FROM shipping.shipments WHERE order_id = $1', [orderId])).toEqual([{ status: 'TO_BOOK', attempts: 1 }]);
      expect(await storeRows('SELECT event_type FROM shipping.outbox WHERE order_id = $1', [orderId])).toEqual([]);
      expect(shipments.events.filter((event) => event.orderId === orderId)).toEqual([]);

      // Restarted, it takes the shipment up again once its claim has lapsed: the same Idempotency-Key, the same parcel.
      await cluster.start('shipping');
      const report = await scenario.ledger();
      expect(report.statuses).toEqual({ [orderId]: 'CONFIRMED' });
      const published = shipments.events.filter((event) => event.orderId === orderId) as IntegrationEvent<'shipment.dispatched' | 'shipment.delivered'>[];
      expect(published.map((event) => event.type)).toEqual(['shipment.dispatched', 'shipment.delivered']);
      expect(published[0]!.data).toMatchObject({ shipmentId: booked!.id, trackingNumber: booked!.trackingNumber });
      expect(logged('shipping', 'shipment dispatched').filter((line) => line.orderId === orderId)).toMatchObject([{ orderId, attempts: 2 }]);
    } finally {
      await shipments.close();
    }
  });
});
