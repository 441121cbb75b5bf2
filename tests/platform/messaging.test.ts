// Messaging guarantees on a real broker: confirmed publishes, retries with backoff, dead-lettering, unroutable events kept.
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createEvent, type IntegrationEvent } from '../../platform/events/catalog.js';
import { connectBroker, type Broker } from '../../platform/messaging/broker.js';
import { startConsumer } from '../../platform/messaging/consumer.js';
import type { EventHandler } from '../../platform/messaging/event-handler.js';
import { PoisonMessageError } from '../../platform/messaging/errors.js';
import { createEventPublisher, type EventPublisher } from '../../platform/messaging/publisher.js';
import { deadLetterQueueName, retryQueueName, unroutableQueueName } from '../../platform/messaging/wire-names.js';
import { eventually, testLog } from '../support/broker.js';

const infrastructure = inject('infrastructure');
const exchange = `test.messaging.${randomUUID().slice(0, 8)}`;
let broker: Broker;
let publisher: EventPublisher;

beforeAll(async () => {
  broker = await connectBroker(infrastructure.amqpUrl, testLog, 'messaging-test');
  publisher = createEventPublisher(broker, testLog, { exchange, confirmTimeoutMs: 5_000 });
});
afterAll(async () => {
  await publisher.close();
  await broker.close();
});

const placed = (orderId = randomUUID()) =>
  createEvent('order.placed', { orderId, customerId: 'c1', email: 'c1@example.com', lines: [{ sku: 'A', quantity: 1, unitPrice: 100 }], total: 100, currency: 'USD' }, { eventId: `${orderId}:order.placed`, correlationId: orderId, orderId });

function consume(queue: string, handler: EventHandler, maxAttempts = 3) {
  return startConsumer(broker, testLog, {
    queue, exchange, bindings: ['order.placed'], handler, prefetch: 10, maxAttempts, retryDelaysMs: [50, 100], confirmTimeoutMs: 5_000,
  });
}

async function readQueue(queue: string): Promise<amqplib.GetMessage | false> {
  const connection = await amqplib.connect(infrastructure.amqpUrl);
  try {
    const channel = await connection.createChannel();
    return await channel.get(queue, { noAck: true });
  } finally {
    await connection.close();
  }
}

describe('consumer', () => {
  it('delivers a published event to the bound queue, validated', async () => {
    const queue = `test-deliver-${randomUUID().slice(0, 8)}`;
    const received: IntegrationEvent[] = [];
    const consumer = consume(queue, async (event) => void received.push(event));
    await consumer.ready();
    const event = placed();
    await publisher.publish(event);
    await eventually(() => expect(received).toEqual([event]));
    await consumer.stop();
  });

  it('acknowledges a backlog that was waiting before the consumer started', async () => {
    const queue = `test-backlog-${randomUUID().slice(0, 8)}`;
    const first = consume(queue, async () => undefined);
    await first.ready();
    await first.stop();
    for (let i = 0; i < 5; i++) await publisher.publish(placed());
    let handled = 0;
    const second = consume(queue, async () => void handled++);
    await eventually(() => expect(handled).toBe(5));
    const connection = await amqplib.connect(infrastructure.amqpUrl);
    const channel = await connection.createChannel();
    await eventually(async () => expect((await channel.checkQueue(queue)).messageCount).toBe(0));
    await second.stop();
    // Had the acks been lost, stopping the consumer would hand the messages back to the queue.
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
    await connection.close();
  });

  it('retries a failing handler with backoff until it succeeds', async () => {
    const queue = `test-retry-${randomUUID().slice(0, 8)}`;
    const attempts: number[] = [];
    const consumer = consume(queue, async (_event, { attempt }) => {
      attempts.push(attempt);
      if (attempt < 3) throw new Error('database briefly away');
    });
    await consumer.ready();
    await publisher.publish(placed());
    await eventually(() => expect(attempts).toEqual([1, 2, 3]));
    await consumer.stop();
  });

  it('dead-letters after the configured attempts with the reason, while later messages keep flowing', async () => {
    const queue = `test-dlq-${randomUUID().slice(0, 8)}`;
    const poisonId = randomUUID();
    const handled: string[] = [];
    const consumer = consume(queue, async (event) => {
      if (event.orderId === poisonId) throw new Error('always fails');
      handled.push(event.orderId!);
    }, 2);
    await consumer.ready();
    await publisher.publish(placed(poisonId));
    const healthy = randomUUID();
    await publisher.publish(placed(healthy));
    await eventually(() => expect(handled).toEqual([healthy]));
    const dead = await eventually(async () => {
      const message = await readQueue(deadLetterQueueName(queue));
      if (!message) throw new Error('not dead-lettered yet');
      return message;
    });
    expect(JSON.parse(dead.content.toString()).orderId).toBe(poisonId);
    expect(dead.properties.headers).toMatchObject({ 'x-attempt': 2, 'x-last-error': 'Error: always fails', 'x-original-queue': queue });
    await consumer.stop();
  });

  it('dead-letters poison at once, without retrying', async () => {
    const queue = `test-poison-${randomUUID().slice(0, 8)}`;
    let calls = 0;
    const consumer = consume(queue, async () => {
      calls++;
      throw new PoisonMessageError('cannot ever work');
    }, 5);
    await consumer.ready();
    await publisher.publish(placed());
    await eventually(async () => expect(await readQueue(deadLetterQueueName(queue))).toBeTruthy());
    expect(calls).toBe(1);
    await consumer.stop();
  });

  it('lets the broker dead-letter a message that keeps killing its consumer before any ack', async () => {
    const queue = `test-crashing-${randomUUID().slice(0, 8)}`;
    // maxAttempts 1 gives a broker delivery limit of 2 (see startConsumer).
    const declared = consume(queue, async () => undefined, 1);
    await declared.ready();
    await declared.stop();
    const event = placed();
    await publisher.publish(event);

    // A consumer that dies with the message in hand: the broker takes it back each time and counts the deliveries.
    const connection = await amqplib.connect(infrastructure.amqpUrl);
    for (let delivery = 1; delivery <= 3; delivery++) {
      const channel = await connection.createChannel();
      const message = await eventually(async () => {
        const got = await channel.get(queue, { noAck: false });
        if (!got) throw new Error('message not back in the queue yet');
        return got;
      });
      expect(message.properties.messageId).toBe(event.eventId);
      await channel.close();
    }
    await connection.close();

    const dead = await eventually(async () => {
      const message = await readQueue(deadLetterQueueName(queue));
      if (!message) throw new Error('not dead-lettered by the broker yet');
      return message;
    });
    expect(dead.properties.messageId).toBe(event.eventId);
    expect(JSON.stringify(dead.properties.headers?.['x-death'])).toContain('delivery_limit');
  });

  it('dead-letters a message that is not a valid event', async () => {
    const queue = `test-invalid-${randomUUID().slice(0, 8)}`;
    const consumer = consume(queue, async () => undefined);
    await consumer.ready();
    const connection = await amqplib.connect(infrastructure.amqpUrl);
    const channel = await connection.createConfirmChannel();
    channel.publish(exchange, 'order.placed', Buffer.from('{"not":"an event"}'));
    await channel.waitForConfirms();
    await connection.close();
    const dead = await eventually(async () => {
      const message = await readQueue(deadLetterQueueName(queue));
      if (!message) throw new Error('not dead-lettered yet');
      return message;
    });
    expect(String(dead.properties.headers?.['x-last-error'])).toMatch(/invalid envelope/);
    await consumer.stop();
  });
});

describe('publisher', () => {
  it('keeps an event no queue is bound for in the unroutable queue instead of dropping it', async () => {
    const orphan = createEvent('catalog.snapshot-requested', { requestedBy: 'nobody' }, { eventId: `orphan-${randomUUID()}`, correlationId: 'x' });
    await publisher.publish(orphan);
    const found = await eventually(async () => {
      const message = await readQueue(unroutableQueueName(exchange));
      if (!message) throw new Error('not in the unroutable queue yet');
      return message;
    });
    expect(found.properties.messageId).toBe(orphan.eventId);
    expect(found.fields.routingKey).toBe('catalog.snapshot-requested');
  });
});

describe('on a cluster (RABBITMQ_QUEUE_TYPE=quorum, AMQP_URL listing every node)', () => {
  /** A queue's type as the management API reports it (a passive declare does not say). */
  async function queueType(queue: string): Promise<string> {
    const management = new URL(infrastructure.amqpManagementUrl);
    const authorization = `Basic ${Buffer.from(`${decodeURIComponent(management.username)}:${decodeURIComponent(management.password)}`).toString('base64')}`;
    const response = await fetch(`${management.origin}/api/queues/%2F/${encodeURIComponent(queue)}`, { headers: { authorization } });
    expect(response.status, queue).toBe(200);
    return ((await response.json()) as { type: string }).type;
  }

  it('declares the retry and unroutable queues as quorum queues, retries through them, and skips a node that is gone', async () => {
    const quorumExchange = `test.messaging.quorum.${randomUUID().slice(0, 8)}`;
    // The first address is a port nobody listens on: a node of the cluster that is down.
    const gone = new URL(infrastructure.amqpUrl);
    gone.port = '1';
    const quorumBroker = await connectBroker([gone.toString(), infrastructure.amqpUrl], testLog, 'messaging-quorum-test', { queueType: 'quorum' });
    const quorumPublisher = createEventPublisher(quorumBroker, testLog, { exchange: quorumExchange, confirmTimeoutMs: 5_000 });
    const queue = `test-quorum-retry-${randomUUID().slice(0, 8)}`;
    const attempts: number[] = [];
    const consumer = startConsumer(quorumBroker, testLog, {
      queue, exchange: quorumExchange, bindings: ['order.placed'], prefetch: 10, maxAttempts: 3, retryDelaysMs: [50], confirmTimeoutMs: 5_000,
      handler: async (_event, { attempt }) => {
        attempts.push(attempt);
        if (attempt < 2) throw new Error('database briefly away');
      },
    });
    try {
      await consumer.ready();
      await quorumPublisher.publish(placed());
      await eventually(() => expect(attempts).toEqual([1, 2]));
      expect(await queueType(retryQueueName(queue, 50))).toBe('quorum');
      expect(await queueType(unroutableQueueName(quorumExchange))).toBe('quorum');
      expect(await queueType(queue)).toBe('quorum');
    } finally {
      await consumer.stop();
      await quorumPublisher.close();
      await quorumBroker.close();
    }
  });
});
