// Fault tests: a poison message dead-lettered while the queue keeps moving and replayed after the fix, malformed messages, and an unroutable event.
import amqplib from 'amqplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeadLetters, type DeadLetters } from '../../platform/messaging/dead-letters.js';
import { eventually, testLog } from '../support/broker.js';
import { call, ownerCall } from '../support/http.js';
import { startFaultCluster, type FaultCluster } from '../support/faults/cluster.js';
import { Scenario } from '../support/faults/scenario.js';
import { orderViewQueueName } from '../../event-handlers/order-view/index.js';
import { historyStreamName } from '../../event-handlers/order-view/history.js';

const EXCHANGE = 'ensemble.events';
/** The order view's queue on the standard exchange. */
const ORDER_VIEW_QUEUE = orderViewQueueName(EXCHANGE);
const MAX_ATTEMPTS = 5;
let cluster: FaultCluster;
let deadLetters: DeadLetters;
/** Dead letters this file leaves behind on purpose (the malformed messages); every later ledger expects them. */
const leftInDeadLetterQueues: Record<string, number> = {};

beforeAll(async () => {
  cluster = await startFaultCluster({
    // The poisoned order waits for inventory while its message fails, sits in the DLQ and is replayed: give it time.
    env: { INVENTORY_TIMEOUT: '5m', CONSUMER_MAX_ATTEMPTS: String(MAX_ATTEMPTS) },
  });
  deadLetters = createDeadLetters({ amqpUrl: cluster.amqpUrl, managementUrl: cluster.managementUrl, exchange: EXCHANGE, log: testLog });
});
afterAll(async () => {
  await cluster?.teardown();
});

/** The order view's own surface, where the test sees what the view holds (the API would answer from its own writes too). */
const orderViewUrl = () => cluster.env.ORDER_VIEW_URL!;

async function depthOf(queue: string): Promise<number> {
  return (await deadLetters.list()).find((listed) => listed.queue === queue)?.messages ?? 0;
}

/** Runs SQL against the cluster's database, as a DBA on the shared PostgreSQL would. */
async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Publishes raw bytes to the events exchange, as a buggy or foreign producer would. */
async function publishRaw(routingKey: string, content: string, messageId: string): Promise<void> {
  const connection = await amqplib.connect(cluster.amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    channel.publish(EXCHANGE, routingKey, Buffer.from(content), { persistent: true, mandatory: true, contentType: 'application/json', messageId });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

describe('poison and unroutable messages', () => {
  it('a poison order.paid is retried the configured number of times, dead-lettered while the queue keeps moving, and replayed after the fix', async () => {
    const scenario = new Scenario(cluster);
    const frozen = await scenario.product(10);
    const other = await scenario.product(100);

    // The fault: a warehouse stock count freezes one sku at the database, the way a DBA would, with a trigger that refuses
    // any change to its reserved units. Inventory's reservation for that sku fails on every attempt (a retryable error,
    // not the message's fault), while orders for other products are untouched.
    const trigger = `freeze_${frozen.replace('-', '_').toLowerCase()}`;
    await sql(`
      CREATE FUNCTION inventory.${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'stock count in progress for %: stock movements are frozen', NEW.sku; END $$;
      CREATE TRIGGER ${trigger} BEFORE UPDATE ON inventory.products FOR EACH ROW
        WHEN (NEW.sku = '${frozen}' AND NEW.reserved IS DISTINCT FROM OLD.reserved) EXECUTE FUNCTION inventory.${trigger}();
    `);

    const [poisoned, ...others] = await Promise.all([
      scenario.order([{ sku: frozen, quantity: 1 }]),
      ...Array.from({ length: 10 }, () => scenario.order([{ sku: other, quantity: 1 }])),
    ]);
    expect([poisoned, ...others].map((answer) => answer.status)).toEqual(Array(11).fill(201));
    const orderId = poisoned.body.orderId as string;

    // Dead-lettered after the configured attempts, with the reason, while every other order went through.
    await eventually(async () => expect(await depthOf('inventory.dlq')).toBe(1), { timeoutMs: 60_000, intervalMs: 500 });
    const [letter] = await deadLetters.show('inventory.dlq');
    expect(letter).toMatchObject({ messageId: `${orderId}:order.paid`, type: 'order.paid', orderId, attempts: MAX_ATTEMPTS, originalQueue: 'inventory' });
    expect(letter!.reason).toContain('stock count in progress');
    for (const answer of others) await scenario.waitForStatus(answer.body.orderId as string, 'CONFIRMED');
    expect((await call(`${cluster.api}/orders/${orderId}`)).body).toMatchObject({ status: 'PAYMENT_AUTHORIZED', inventory: { status: 'AWAITING' } });
    // The look above put the message back where it was: still there, once.
    expect(await depthOf('inventory.dlq')).toBe(1);

    // The count is over: lift the freeze, then the operator replays the one message through the API.
    await sql(`DROP TRIGGER ${trigger} ON inventory.products; DROP FUNCTION inventory.${trigger}();`);
    const replay = await call(`${cluster.api}/admin/dead-letters/inventory.dlq/replay`, { method: 'POST', body: { messageId: `${orderId}:order.paid` } });
    expect(replay).toMatchObject({ status: 200, body: { replayed: 1 } });
    await scenario.waitForStatus(orderId, 'CONFIRMED');

    const report = await scenario.ledger();
    expect(Object.values(report.statuses)).toEqual(Array(11).fill('CONFIRMED'));
    expect(report.confirmedUnits).toEqual({ [frozen]: 1, [other]: 10 });
  });

  it('malformed messages (not JSON, not an event) go straight to the dead-letter queue, without retries', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(10);
    await publishRaw('order.paid', '{"eventId": "half a message', 'malformed-json');
    await publishRaw('order.placed', JSON.stringify({ eventId: 'not-an-envelope', type: 'order.placed', hello: 'world' }), 'not-an-envelope');
    leftInDeadLetterQueues['inventory.dlq'] = 1;
    leftInDeadLetterQueues['notifications.dlq'] = 1;
    // The order view takes both types, so it dead-letters both (and its rebuild skips them in its history stream).
    leftInDeadLetterQueues[`${ORDER_VIEW_QUEUE}.dlq`] = 2;

    await eventually(async () => {
      expect(await depthOf('inventory.dlq')).toBe(1);
      expect(await depthOf('notifications.dlq')).toBe(1);
      expect(await depthOf(`${ORDER_VIEW_QUEUE}.dlq`)).toBe(2);
    }, { timeoutMs: 30_000, intervalMs: 250 });
    const [unreadable] = await deadLetters.show('inventory.dlq');
    expect(unreadable).toMatchObject({ messageId: 'malformed-json', attempts: 1, event: '{"eventId": "half a message' });
    expect(unreadable!.reason).toMatch(/^unreadable message/);
    const [invalid] = await deadLetters.show('notifications.dlq');
    expect(invalid).toMatchObject({ messageId: 'not-an-envelope', attempts: 1, type: 'order.placed' });

    // The queues they came on keep serving real orders.
    const answer = await scenario.order([{ sku, quantity: 1 }]);
    await scenario.waitForStatus(answer.body.orderId as string, 'CONFIRMED');
    await scenario.ledger({ expectedDeadLetters: leftInDeadLetterQueues });
  });

  it('an unroutable event (a binding removed) is caught in the unroutable queue, listed, and replayed once the binding is back', async () => {
    const scenario = new Scenario(cluster);

    // A botched deploy of the order view's topology loses its bindings for order.rejected (its queue's and its history
    // stream's), the only ones there are. An event some other queue still takes is not unroutable: the alternate
    // exchange sees only events that reach no queue at all.
    const connection = await amqplib.connect(cluster.amqpUrl);
    try {
      const channel = await connection.createChannel();
      await channel.unbindQueue(ORDER_VIEW_QUEUE, EXCHANGE, 'order.rejected');
      await channel.unbindQueue(historyStreamName(EXCHANGE), EXCHANGE, 'order.rejected');
    } finally {
      await connection.close();
    }

    const answer = await scenario.order([{ sku: 'NO-SUCH-SKU', quantity: 1 }]);
    expect(answer.status).toBe(422);
    const orderId = answer.body.error.orderId as string;

    // order.rejected reached no queue: the alternate exchange kept it, and the tooling shows it with its reason.
    await eventually(async () => expect(await depthOf(`${EXCHANGE}.unroutable`)).toBe(1), { timeoutMs: 30_000, intervalMs: 250 });
    expect((await deadLetters.list()).find((queue) => queue.queue === `${EXCHANGE}.unroutable`)).toMatchObject({ kind: 'unroutable', messages: 1 });
    const [unroutable] = await deadLetters.show(`${EXCHANGE}.unroutable`);
    expect(unroutable).toMatchObject({ messageId: `${orderId}:order.rejected`, type: 'order.rejected', orderId });
    expect(unroutable!.reason).toBe('unroutable: no queue was bound for routing key "order.rejected"');

    // The view never heard of the order; the customer still reads it, from the API's record of its own answer.
    expect((await ownerCall(`${orderViewUrl()}/orders/${orderId}`)).status).toBe(404);
    expect((await call(`${cluster.api}/orders/${orderId}`)).body).toMatchObject({ orderId, status: 'REJECTED', reason: 'CART_INVALID' });

    // Restarting the view declares its bindings (queue and stream) again; then the operator replays the event, and the view has the order.
    await cluster.kill('order-view', 'SIGTERM');
    await cluster.start('order-view');
    expect(await deadLetters.replay(`${EXCHANGE}.unroutable`)).toBe(1);
    await eventually(async () => expect((await ownerCall(`${orderViewUrl()}/orders/${orderId}`)).body).toMatchObject({ orderId, status: 'REJECTED', reason: 'CART_INVALID' }), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });

    const report = await scenario.ledger({ expectedDeadLetters: leftInDeadLetterQueues });
    expect(report.statuses).toEqual({ [orderId]: 'REJECTED' });
  });
});
