// The operators' routes /admin/dead-letters on the real API: list, show, replay, purge, and refusal of live queues.
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningApi } from '../../api/index.js';
import type { Config } from '../../platform/config.js';
import { createEvent } from '../../platform/events/catalog.js';
import { connectBroker, type Broker } from '../../platform/messaging/broker.js';
import { startConsumer, type Consumer } from '../../platform/messaging/consumer.js';
import { createEventPublisher, type EventPublisher } from '../../platform/messaging/publisher.js';
import { deadLetterQueueName } from '../../platform/messaging/wire-names.js';
import { request, startTestApi, testConfig } from '../support/api.js';
import { eventually, testLog } from '../support/broker.js';

const infrastructure = inject('infrastructure');
let config: Config;
let api: RunningApi;
let broker: Broker;
let publisher: EventPublisher;
let consumer: Consumer;
const queue = `test-admin-${randomUUID().slice(0, 8)}`;
const dlq = deadLetterQueueName(queue);
const failing = new Set<string>();
const handled: string[] = [];
const call = (method: string, path: string, options?: Parameters<typeof request>[3]) => request(api.url, method, path, options);

beforeAll(async () => {
  config = testConfig(infrastructure, { RABBITMQ_MANAGEMENT_URL: infrastructure.amqpManagementUrl });
  api = await startTestApi(config);
  broker = await connectBroker(config.AMQP_URL, testLog, 'admin-dead-letters-test');
  publisher = createEventPublisher(broker, testLog, { exchange: config.EVENTS_EXCHANGE, confirmTimeoutMs: 5_000 });
  consumer = startConsumer(broker, testLog, {
    queue,
    exchange: config.EVENTS_EXCHANGE,
    bindings: ['order.placed'],
    handler: async (event) => {
      if (failing.has(event.orderId!)) throw new Error('notification provider refused');
      handled.push(event.orderId!);
    },
    prefetch: 10,
    maxAttempts: 2,
    retryDelaysMs: [50],
    confirmTimeoutMs: 5_000,
  });
  await consumer.ready();
});

afterAll(async () => {
  await consumer?.stop();
  await publisher?.close();
  await broker?.close();
  await api?.stop();
});

async function deadLetterOrders(count: number): Promise<{ orderId: string; eventId: string }[]> {
  const orders = Array.from({ length: count }, () => randomUUID());
  for (const orderId of orders) {
    failing.add(orderId);
    await publisher.publish(
      createEvent(
        'order.placed',
        { orderId, customerId: 'c1', email: 'c1@example.com', lines: [{ sku: 'MUG', quantity: 1, unitPrice: 100 }], total: 100, currency: 'USD' },
        { eventId: `${orderId}:order.placed`, correlationId: orderId, orderId },
      ),
    );
  }
  await eventually(async () => {
    const { body } = await call('GET', '/admin/dead-letters');
    expect(body.queues).toContainEqual({ queue: dlq, consumerQueue: queue, kind: 'dead-letter', messages: count });
  });
  return orders.map((orderId) => ({ orderId, eventId: `${orderId}:order.placed` }));
}

describe('/admin/dead-letters', () => {
  it('lists and shows dead letters with their reason, replays them once the cause is fixed, and purges what is left', async () => {
    const [first, second, third] = await deadLetterOrders(3);

    const shown = await call('GET', `/admin/dead-letters/${dlq}?limit=2`);
    expect(shown.status).toBe(200);
    expect(shown.body.queue).toBe(dlq);
    expect(shown.body.messages).toHaveLength(2);
    expect(shown.body.messages[0]).toMatchObject({
      messageId: first!.eventId, type: 'order.placed', orderId: first!.orderId, attempts: 2,
      reason: 'Error: notification provider refused', originalQueue: queue,
    });
    expect(shown.body.messages[0].event.data.orderId).toBe(first!.orderId);

    failing.clear();
    const one = await call('POST', `/admin/dead-letters/${dlq}/replay`, { body: { messageId: second!.eventId } });
    expect(one).toMatchObject({ status: 200, body: { replayed: 1 } });
    await eventually(() => expect(handled).toContain(second!.orderId));

    const dropped = await call('DELETE', `/admin/dead-letters/${dlq}?messageId=${encodeURIComponent(third!.eventId)}`);
    expect(dropped).toMatchObject({ status: 200, body: { purged: 1 } });

    const rest = await call('POST', `/admin/dead-letters/${dlq}/replay`);
    expect(rest).toMatchObject({ status: 200, body: { replayed: 1 } });
    await eventually(() => expect(handled).toContain(first!.orderId));
    expect(handled.filter((orderId) => orderId === second!.orderId)).toHaveLength(1);
    expect(handled).not.toContain(third!.orderId);

    const empty = await call('GET', `/admin/dead-letters/${dlq}`);
    expect(empty.body.messages).toEqual([]);
    expect(await call('DELETE', `/admin/dead-letters/${dlq}`)).toMatchObject({ status: 200, body: { purged: 0 } });
  });

  it('answers 404 NOT_FOUND for a live queue (untouched), an unknown queue and an unknown message', async () => {
    for (const [method, path] of [
      ['GET', `/admin/dead-letters/${queue}`],
      ['DELETE', `/admin/dead-letters/${queue}`],
      ['POST', `/admin/dead-letters/${queue}/replay`],
      ['GET', `/admin/dead-letters/missing-${randomUUID()}.dlq`],
    ] as const) {
      const response = await call(method, path);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error.code).toBe('NOT_FOUND');
    }
    expect((await call('GET', `/admin/dead-letters/${queue}`)).body.error.message).toContain('is not a dead-letter queue');

    await deadLetterOrders(1);
    const unknown = await call('POST', `/admin/dead-letters/${dlq}/replay`, { body: { messageId: 'no-such-message' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('no-such-message');
    expect(await call('DELETE', `/admin/dead-letters/${dlq}`)).toMatchObject({ status: 200, body: { purged: 1 } });

    // The live queue still delivers.
    const orderId = randomUUID();
    await publisher.publish(
      createEvent(
        'order.placed',
        { orderId, customerId: 'c1', email: 'c1@example.com', lines: [{ sku: 'MUG', quantity: 1, unitPrice: 100 }], total: 100, currency: 'USD' },
        { eventId: `${orderId}:order.placed`, correlationId: orderId, orderId },
      ),
    );
    await eventually(() => expect(handled).toContain(orderId));
  });

  it('answers 400 VALIDATION_FAILED naming the bad field', async () => {
    for (const limit of ['0', 'many', '1001']) {
      const response = await call('GET', `/admin/dead-letters/${dlq}?limit=${limit}`);
      expect(response.status).toBe(400);
      expect(response.body.error.details[0].path).toBe('limit');
    }
    const unknownField = await call('POST', `/admin/dead-letters/${dlq}/replay`, { body: { everything: true } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.details[0].path).toBe('everything');
    const both = await call('POST', `/admin/dead-letters/${dlq}/replay`, { body: { messageId: 'a', limit: 1 } });
    expect(both.status).toBe(400);
    expect((await call('DELETE', `/admin/dead-letters/${dlq}?messageId=`)).status).toBe(400);
  });

  it('answers 409 REPLAY_TARGET_MISSING and keeps the message when the queue it came from is gone', async () => {
    const orphans = `test-admin-orphans-${randomUUID().slice(0, 8)}.dlq`;
    const connection = await amqplib.connect(config.AMQP_URL[0]!);
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(orphans, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      channel.sendToQueue(orphans, Buffer.from('{"eventId":"orphan-1"}'), {
        persistent: true, messageId: 'orphan-1', headers: { 'x-original-queue': `gone-${randomUUID()}`, 'x-last-error': 'Error: boom' },
      });
      await channel.waitForConfirms();

      const response = await call('POST', `/admin/dead-letters/${orphans}/replay`);
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('REPLAY_TARGET_MISSING');
      const kept = await call('GET', `/admin/dead-letters/${orphans}`);
      expect(kept.body.messages).toMatchObject([{ messageId: 'orphan-1', reason: 'Error: boom', event: { eventId: 'orphan-1' } }]);
      await channel.deleteQueue(orphans);
    } finally {
      await connection.close();
    }
  });
});
