// Operators' dead-letter tooling on a real broker: list, show without losing, replay once fixed, purge only dead letters, and the dlq CLI.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEvent, type IntegrationEvent } from '../../platform/events/catalog.js';
import { connectBroker, type Broker } from '../../platform/messaging/broker.js';
import { startConsumer, type Consumer } from '../../platform/messaging/consumer.js';
import type { EventHandler } from '../../platform/messaging/event-handler.js';
import {
  createDeadLetters,
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  NotADeadLetterQueueError,
  type DeadLetters,
} from '../../platform/messaging/dead-letters.js';
import { createEventPublisher, type EventPublisher } from '../../platform/messaging/publisher.js';
import { declareConsumerQueue, declareEventsExchange } from '../../platform/messaging/topology.js';
import { deadLetterQueueName, unroutableQueueName } from '../../platform/messaging/wire-names.js';
import { eventually, testLog } from '../support/broker.js';

const infrastructure = inject('infrastructure');
const exchange = `test.dead-letters.${randomUUID().slice(0, 8)}`;
const root = fileURLToPath(new URL('../..', import.meta.url));
let broker: Broker;
let publisher: EventPublisher;
let deadLetters: DeadLetters;
const consumers: Consumer[] = [];

beforeAll(async () => {
  broker = await connectBroker(infrastructure.amqpUrl, testLog, 'dead-letters-test');
  publisher = createEventPublisher(broker, testLog, { exchange, confirmTimeoutMs: 5_000 });
  deadLetters = createDeadLetters({ amqpUrl: infrastructure.amqpUrl, managementUrl: infrastructure.amqpManagementUrl, exchange, log: testLog });
});

afterAll(async () => {
  for (const consumer of consumers) await consumer.stop();
  await publisher?.close();
  await broker?.close();
});

const placed = (orderId = randomUUID()) =>
  createEvent(
    'order.placed',
    { orderId, customerId: 'c1', email: 'c1@example.com', lines: [{ sku: 'MUG', quantity: 1, unitPrice: 100 }], total: 100, currency: 'USD' },
    { eventId: `${orderId}:order.placed`, correlationId: orderId, orderId },
  );

const confirmed = (orderId = randomUUID()) =>
  createEvent(
    'order.confirmed',
    { orderId, customerId: 'c1', lines: [{ sku: 'MUG', quantity: 1 }], total: 100, currency: 'USD' },
    { eventId: `${orderId}:order.confirmed`, correlationId: orderId, orderId },
  );

/** A consumer whose handler fails for the orders in `failing` until they are taken out ("the fix is deployed"). */
async function flakyConsumer(bindings: ('order.placed' | 'order.confirmed')[] = ['order.placed']) {
  const queue = `test-dlq-tool-${randomUUID().slice(0, 8)}`;
  const failing = new Set<string>();
  const handled = new Map<string, number>();
  const handler: EventHandler = async (event) => {
    if (failing.has(event.orderId!)) throw new Error(`stock service down for ${event.orderId}`);
    handled.set(event.orderId!, (handled.get(event.orderId!) ?? 0) + 1);
  };
  const consumer = startConsumer(broker, testLog, {
    queue, exchange, bindings, handler, prefetch: 10, maxAttempts: 2, retryDelaysMs: [50], confirmTimeoutMs: 5_000,
  });
  consumers.push(consumer);
  await consumer.ready();
  return { queue, dlq: deadLetterQueueName(queue), failing, handled };
}

async function depth(queue: string): Promise<number | undefined> {
  return (await deadLetters.list()).find((entry) => entry.queue === queue)?.messages;
}

async function deadLetter(consumer: Awaited<ReturnType<typeof flakyConsumer>>, events: IntegrationEvent[]) {
  for (const event of events) {
    consumer.failing.add(event.orderId!);
    await publisher.publish(event);
  }
  await eventually(async () => expect(await depth(consumer.dlq)).toBe(events.length));
}

describe('dead letters of a consumer', () => {
  it('an order whose handler keeps failing is listed under its consumer queue, and shown with its reason without leaving the queue', async () => {
    const consumer = await flakyConsumer();
    const event = placed();
    await deadLetter(consumer, [event]);

    expect((await deadLetters.list()).find((entry) => entry.queue === consumer.dlq)).toEqual({
      queue: consumer.dlq, consumerQueue: consumer.queue, kind: 'dead-letter', messages: 1,
    });
    const [shown, ...more] = await deadLetters.show(consumer.dlq);
    expect(more).toEqual([]);
    expect(shown).toMatchObject({
      messageId: event.eventId,
      type: 'order.placed',
      orderId: event.orderId,
      attempts: 2,
      reason: `Error: stock service down for ${event.orderId}`,
      originalQueue: consumer.queue,
      event,
    });
    expect(Date.parse(shown!.deadLetteredAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(await depth(consumer.dlq)).toBe(1);
  });

  it('after the handler is fixed, replay moves the dead letter back and it is handled exactly once', async () => {
    const consumer = await flakyConsumer();
    const event = placed();
    await deadLetter(consumer, [event]);

    consumer.failing.delete(event.orderId!);
    expect(await deadLetters.replay(consumer.dlq)).toBe(1);
    await eventually(() => expect(consumer.handled.get(event.orderId!)).toBe(1));
    expect(await depth(consumer.dlq)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(consumer.handled.get(event.orderId!)).toBe(1);
  });

  it('a replayed message that fails again starts over at attempt 1 and comes back with the new reason', async () => {
    const consumer = await flakyConsumer();
    const event = placed();
    await deadLetter(consumer, [event]);
    expect(await deadLetters.replay(consumer.dlq)).toBe(1);
    // Back in the dead-letter queue after the full two attempts again, not at once with attempt 3.
    await eventually(async () => expect(await depth(consumer.dlq)).toBe(1));
    const [shown] = await deadLetters.show(consumer.dlq);
    expect(shown).toMatchObject({ attempts: 2, orderId: event.orderId });
  });

  it('looking at dead letters many times loses none and keeps their order', async () => {
    const consumer = await flakyConsumer();
    const events = [placed(), placed(), placed()];
    await deadLetter(consumer, events);
    // More looks than RabbitMQ 4's default quorum delivery limit (20), past which a requeued message would be dropped.
    for (let look = 0; look < 25; look++) {
      const shown = await deadLetters.show(consumer.dlq, { limit: 2 });
      expect(shown.map((letter) => letter.orderId)).toEqual(events.slice(0, 2).map((event) => event.orderId));
    }
    expect((await deadLetters.show(consumer.dlq)).map((letter) => letter.messageId)).toEqual(events.map((event) => event.eventId));
  });

  it('replays or purges one message by id, leaving the others in order', async () => {
    const consumer = await flakyConsumer();
    const [first, second, third] = [placed(), placed(), placed()];
    await deadLetter(consumer, [first, second, third]);
    consumer.failing.clear();

    expect(await deadLetters.replay(consumer.dlq, { messageId: second.eventId })).toBe(1);
    await eventually(() => expect(consumer.handled.get(second.orderId!)).toBe(1));
    expect((await deadLetters.show(consumer.dlq)).map((letter) => letter.messageId)).toEqual([first.eventId, third.eventId]);

    expect(await deadLetters.purge(consumer.dlq, { messageId: first.eventId })).toBe(1);
    expect((await deadLetters.show(consumer.dlq)).map((letter) => letter.messageId)).toEqual([third.eventId]);

    await expect(deadLetters.replay(consumer.dlq, { messageId: 'no-such-id' })).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    await expect(deadLetters.purge(consumer.dlq, { messageId: first.eventId })).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    expect(await deadLetters.purge(consumer.dlq)).toBe(1);
    expect(await depth(consumer.dlq)).toBe(0);
    expect(consumer.handled.has(first.orderId!)).toBe(false);
  });

  it('refuses to purge, show or replay a live queue, and names a dead-letter queue that does not exist', async () => {
    const consumer = await flakyConsumer();
    await expect(deadLetters.purge(consumer.queue)).rejects.toBeInstanceOf(NotADeadLetterQueueError);
    await expect(deadLetters.replay(consumer.queue)).rejects.toBeInstanceOf(NotADeadLetterQueueError);
    await expect(deadLetters.show(`${consumer.queue}.retry.50ms`)).rejects.toBeInstanceOf(NotADeadLetterQueueError);
    await expect(deadLetters.purge(`missing-${randomUUID()}.dlq`)).rejects.toBeInstanceOf(DeadLetterQueueNotFoundError);
    // The live queue still works.
    const event = placed();
    await publisher.publish(event);
    await eventually(() => expect(consumer.handled.get(event.orderId!)).toBe(1));
  });
});

describe('dead letters from the broker itself (quorum delivery limit)', () => {
  it('are shown with the broker reason and replayed with a fresh attempt count and no x-death', async () => {
    const queue = `test-dlq-broker-${randomUUID().slice(0, 8)}`;
    const connection = await amqplib.connect(infrastructure.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      await declareEventsExchange(channel, exchange);
      await declareConsumerQueue(channel, { queue, exchange, bindings: ['order.placed'], retryDelaysMs: [50], deliveryLimit: 1 });
      const event = placed();
      await publisher.publish(event);
      // A consumer that crashes before settling: each return counts, and past the limit the broker dead-letters.
      await eventually(async () => {
        const message = await channel.get(queue, { noAck: false });
        if (message) channel.nack(message, false, true);
        expect(await depth(deadLetterQueueName(queue))).toBe(1);
      });

      const [shown] = await deadLetters.show(deadLetterQueueName(queue));
      expect(shown).toMatchObject({ messageId: event.eventId, type: 'order.placed', orderId: event.orderId, attempts: null, originalQueue: queue, event });
      expect(shown!.reason).toMatch(new RegExp(`dead-lettered by the broker \\(delivery_limit in ${queue}\\)`));
      expect(shown!.deadLetteredAt).not.toBeNull();

      expect(await deadLetters.replay(deadLetterQueueName(queue))).toBe(1);
      const replayed = await eventually(async () => {
        const message = await channel.get(queue, { noAck: true });
        if (!message) throw new Error('not replayed yet');
        return message;
      });
      expect(JSON.parse(replayed.content.toString())).toEqual(event);
      expect(replayed.properties.messageId).toBe(event.eventId);
      expect(replayed.properties.headers).toMatchObject({ 'x-attempt': 1, 'x-causation-id': event.causationId });
      expect(replayed.properties.headers).not.toHaveProperty('x-death');
      expect(replayed.properties.headers).not.toHaveProperty('x-first-death-reason');
      await channel.deleteQueue(queue);
      await channel.deleteQueue(deadLetterQueueName(queue));
      await channel.deleteQueue(`${queue}.retry.50ms`);
    } finally {
      await connection.close();
    }
  });
});

describe('unroutable events', () => {
  it('are listed and shown, and once a binding exists a replay delivers them', async () => {
    const event = confirmed();
    await publisher.publish(event);
    const unroutable = unroutableQueueName(exchange);
    await eventually(async () => expect(await depth(unroutable)).toBe(1));
    expect((await deadLetters.list()).find((entry) => entry.queue === unroutable)).toEqual({
      queue: unroutable, consumerQueue: null, kind: 'unroutable', messages: 1,
    });
    const [shown] = await deadLetters.show(unroutable);
    expect(shown).toMatchObject({ messageId: event.eventId, type: 'order.confirmed', orderId: event.orderId, originalQueue: null, event });
    expect(shown!.reason).toBe('unroutable: no queue was bound for routing key "order.confirmed"');

    // Replaying while still unroutable puts it straight back, once (no endless loop).
    expect(await deadLetters.replay(unroutable)).toBe(1);
    await eventually(async () => expect(await depth(unroutable)).toBe(1));
    // Looking at the queue keeps what each event was routed with.
    expect((await deadLetters.show(unroutable))[0]!.reason).toContain('"order.confirmed"');

    const consumer = await flakyConsumer(['order.confirmed']);
    expect(await deadLetters.replay(unroutable)).toBe(1);
    await eventually(() => expect(consumer.handled.get(event.orderId!)).toBe(1));
    expect(await depth(unroutable)).toBe(0);
  });
});

describe('npm run dlq', () => {
  const run = promisify(execFile);
  const dlq = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/dlq.ts', ...args], {
        cwd: root,
        env: {
          ...process.env,
          AMQP_URL: infrastructure.amqpUrl,
          RABBITMQ_MANAGEMENT_URL: infrastructure.amqpManagementUrl,
          EVENTS_EXCHANGE: exchange,
          LOG_LEVEL: 'warn',
        },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  it('lists, shows, replays and purges dead letters, as tables or JSON, refusing live queues', async () => {
    const consumer = await flakyConsumer();
    const [kept, dropped] = [placed(), placed()];
    await deadLetter(consumer, [kept, dropped]);

    const list = await dlq('list', '--json');
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).queues).toContainEqual({ queue: consumer.dlq, consumerQueue: consumer.queue, kind: 'dead-letter', messages: 2 });

    const table = await dlq('list');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${consumer.dlq.replace(/\./g, '\\.')}\\s+${consumer.queue}\\s+2`));

    const show = await dlq('show', consumer.dlq, '--limit', '1', '--json');
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout).messages).toMatchObject([{ messageId: kept.eventId, orderId: kept.orderId, attempts: 2 }]);
    const shownTable = await dlq('show', consumer.dlq);
    expect(shownTable.stdout).toContain(`stock service down for ${dropped.orderId}`);

    const refused = await dlq('purge', consumer.queue, '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${consumer.queue} is not a dead-letter queue`);

    const withoutYes = await dlq('purge', consumer.dlq);
    expect(withoutYes.code).toBe(2);
    expect(withoutYes.stderr).toContain('--yes');

    const purgedOne = await dlq('purge', consumer.dlq, '--message-id', dropped.eventId, '--json');
    expect(purgedOne.code, purgedOne.stderr).toBe(0);
    expect(JSON.parse(purgedOne.stdout)).toEqual({ queue: consumer.dlq, purged: 1 });

    consumer.failing.clear();
    const replay = await dlq('replay', consumer.dlq);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain('replayed 1');
    await eventually(() => expect(consumer.handled.get(kept.orderId!)).toBe(1));
    expect(consumer.handled.has(dropped.orderId!)).toBe(false);
  });

  it('answers usage mistakes with exit code 2 and broker trouble with exit code 1', async () => {
    expect((await dlq()).code).toBe(2);
    expect((await dlq('explode')).code).toBe(2);
    expect((await dlq('show')).code).toBe(2);
    expect((await dlq('show', 'x.dlq', '--limit', 'many')).code).toBe(2);
    const missing = await dlq('show', `missing-${randomUUID()}.dlq`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
  });
});
