// Each component's RabbitMQ user on a real broker: it can run its own topology, consume its queue and publish what it publishes, and nothing else.
import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { catalogReplicaQueue } from '../../catalog-replica/index.js';
import { createEvent } from '../../platform/events/catalog.js';
import {
  applyBrokerAccounts, BROKER_COMPONENTS, brokerAccounts, consumedQueue, generateBrokerCredentials, withCredentials, type BrokerComponent, type BrokerRole,
} from '../../platform/messaging/broker-users.js';
import { bindingsOf } from '../../platform/messaging/event-handler.js';
import { toMessage } from '../../platform/messaging/publisher.js';
import { declareConsumerQueue, declareEventsExchange } from '../../platform/messaging/topology.js';
import { consumerQueueName, deadLetterQueueName, retryQueueName } from '../../platform/messaging/wire-names.js';
import { inventoryQueueName } from '../../event-handlers/inventory/index.js';
import { inventoryReactions } from '../../event-handlers/inventory/handlers.js';
import { notificationsQueueName } from '../../event-handlers/notifications/index.js';
import { notificationReactions } from '../../event-handlers/notifications/handlers.js';
import { ORDER_OUTCOME_COMPONENT } from '../../event-handlers/order-outcome/index.js';
import { orderViewQueueName } from '../../event-handlers/order-view/index.js';
import { declareHistoryStream, historyStreamName } from '../../event-handlers/order-view/history.js';
import { viewEventTypes } from '../../event-handlers/order-view/story.js';
import { shippingQueueName } from '../../event-handlers/shipping/index.js';
import { deleteTopology } from '../support/broker.js';

const infrastructure = inject('infrastructure');
const exchange = `test.users.${randomUUID().slice(0, 8)}`;
const credentials = generateBrokerCredentials(`test-${randomUUID().slice(0, 8)}-`);
const retryDelaysMs = [100, 200];
const queueOf = (component: BrokerComponent) => consumerQueueName(exchange, consumedQueue[component]);

/** What each component's queue is bound to in the code (the bridge's and shipping's reactions need their clients, so their types are named). */
const bindingsOfComponent: Record<BrokerComponent, string[]> = {
  api: ['catalog.product-updated'],
  worker: ['catalog.product-updated'],
  inventory: bindingsOf(inventoryReactions),
  notifications: bindingsOf(notificationReactions),
  'order-outcome': ['inventory.reserved', 'inventory.rejected'],
  'order-view': [...viewEventTypes],
  shipping: ['order.confirmed', 'order.cancelled'],
};

const connections: ChannelModel[] = [];
async function channelAs(role: BrokerRole): Promise<ConfirmChannel> {
  const connection = await amqplib.connect(withCredentials(infrastructure.amqpUrl, credentials[role]));
  // A refused operation closes the channel (and reports it on the connection); the test looks at the operation's own error.
  connection.on('error', () => undefined);
  connections.push(connection);
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined);
  return channel;
}

const confirmed = (orderId = randomUUID()) =>
  createEvent(
    'order.confirmed',
    { orderId, customerId: 'c1', lines: [{ sku: 'MUG', quantity: 1 }], total: 100, currency: 'USD' },
    { eventId: `${orderId}:order.confirmed`, correlationId: orderId, orderId },
  );

function publish(channel: ConfirmChannel, toExchange: string, routingKey: string): Promise<void> {
  const { content, options } = toMessage(confirmed());
  return new Promise((resolve, reject) => {
    channel.publish(toExchange, routingKey, content, options, (error: unknown) => (error ? reject(error instanceof Error ? error : new Error(JSON.stringify(error))) : resolve()));
  });
}

/** The broker closes the channel with 403 ACCESS_REFUSED; amqplib rejects the operation with it (basic.get: with the close frame). */
async function expectRefused(operation: Promise<unknown>): Promise<void> {
  const error: unknown = await operation.then(() => undefined, (failure: unknown) => failure);
  const reason = error instanceof Error ? error.message : (error as { fields?: { replyText?: string } } | undefined)?.fields?.replyText;
  expect(reason).toMatch(/ACCESS_REFUSED/);
}

beforeAll(async () => {
  const accounts = brokerAccounts(exchange, Object.fromEntries(Object.entries(credentials).filter(([role]) => role !== 'admin')));
  // The test broker may be someone's own (AMQP_URL given): its guest is not ours to delete.
  await applyBrokerAccounts(infrastructure.amqpManagementUrl, accounts, { keepGuest: true });
});

afterAll(async () => {
  await Promise.allSettled(connections.map((connection) => connection.close()));
  await deleteTopology(infrastructure.amqpUrl, exchange, [...BROKER_COMPONENTS.map(queueOf), historyStreamName(exchange)], retryDelaysMs);
  const management = new URL(infrastructure.amqpManagementUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(management.username)}:${decodeURIComponent(management.password)}`).toString('base64')}`;
  for (const { username } of Object.values(credentials)) {
    if (username.endsWith('admin')) continue;
    await fetch(`${management.origin}/api/users/${encodeURIComponent(username)}`, { method: 'DELETE', headers: { authorization } });
  }
});

describe('the queue names the permissions are written for', () => {
  it('are the ones the components consume', () => {
    expect(queueOf('api')).toBe(catalogReplicaQueue(exchange, 'api'));
    expect(queueOf('worker')).toBe(catalogReplicaQueue(exchange, 'worker'));
    expect(queueOf('inventory')).toBe(inventoryQueueName(exchange));
    expect(queueOf('notifications')).toBe(notificationsQueueName(exchange));
    expect(queueOf('order-outcome')).toBe(consumerQueueName(exchange, ORDER_OUTCOME_COMPONENT));
    expect(queueOf('order-view')).toBe(orderViewQueueName(exchange));
    expect(queueOf('shipping')).toBe(shippingQueueName(exchange));
  });
});

describe('a component user on the real broker', () => {
  it.each(BROKER_COMPONENTS)('%s declares its topology, consumes its own queue and retries and dead-letters through the default exchange', async (component) => {
    const channel = await channelAs(component);
    const queue = queueOf(component);
    await declareEventsExchange(channel, exchange);
    await declareConsumerQueue(channel, { queue, exchange, bindings: bindingsOfComponent[component], retryDelaysMs, deliveryLimit: 10 });
    const { consumerTag } = await channel.consume(queue, () => undefined);
    await channel.cancel(consumerTag);
    // The consumer's retry and dead-letter copies go straight to its queues through the default exchange.
    await publish(channel, '', retryQueueName(queue, retryDelaysMs[0]!));
    await publish(channel, '', deadLetterQueueName(queue));
    expect((await channel.checkQueue(deadLetterQueueName(queue))).messageCount).toBe(1);
  });

  it.each(['api', 'worker', 'inventory', 'shipping'] as const)('%s publishes events to the exchange', async (component) => {
    const channel = await channelAs(component);
    await declareEventsExchange(channel, exchange);
    await expect(publish(channel, exchange, 'order.confirmed')).resolves.toBeUndefined();
  });

  it('order-view declares, binds and replays its history stream, and appends to it through the default exchange', async () => {
    const channel = await channelAs('order-view');
    await declareEventsExchange(channel, exchange);
    await declareHistoryStream(channel, { exchange, bindings: viewEventTypes, retention: { maxAge: '1h', maxBytes: 10_000_000 } });
    await publish(channel, '', historyStreamName(exchange));
    await channel.prefetch(10);
    const { consumerTag } = await channel.consume(historyStreamName(exchange), () => undefined, { arguments: { 'x-stream-offset': 'first' } });
    await channel.cancel(consumerTag);
    await expectRefused((await channelAs('notifications')).consume(historyStreamName(exchange), () => undefined, { arguments: { 'x-stream-offset': 'first' } }));
  });

  it.each(['notifications', 'order-outcome', 'order-view'] as const)('%s only consumes: publishing an event is refused', async (component) => {
    const channel = await channelAs(component);
    // A publish has no reply: the broker closes the channel, which says why, and the pending confirm fails.
    const closed = new Promise<Error>((resolve) => channel.once('error', resolve));
    await expect(publish(channel, exchange, 'order.paid')).rejects.toBeDefined();
    expect((await closed).message).toMatch(/ACCESS_REFUSED - access to exchange '[^']+' in vhost '\/' refused for user/);
  });

  it('is refused another component\'s queue: consuming, declaring, binding or purging it', async () => {
    await expectRefused((await channelAs('notifications')).consume(queueOf('inventory'), () => undefined));
    await expectRefused((await channelAs('api')).assertQueue(queueOf('inventory'), { durable: true, arguments: { 'x-queue-type': 'quorum' } }));
    await expectRefused((await channelAs('order-outcome')).bindQueue(queueOf('inventory'), exchange, 'inventory.reserved'));
    await expectRefused((await channelAs('worker')).purgeQueue(deadLetterQueueName(queueOf('inventory'))));
    await expectRefused((await channelAs('inventory')).get(queueOf('worker')));
  });

  it('cannot use the management API', async () => {
    const management = new URL(infrastructure.amqpManagementUrl);
    const { username, password } = credentials.inventory;
    const response = await fetch(`${management.origin}/api/queues`, { headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } });
    expect(response.status).toBe(401);
  });
});

describe('the operator on the real broker', () => {
  it('takes dead letters, puts them back in their queue, and lists queues through the management API', async () => {
    const inventoryQueue = queueOf('inventory');
    const channel = await channelAs('operator');
    const message = await channel.get(deadLetterQueueName(inventoryQueue), { noAck: false });
    expect(message).not.toBe(false);
    await publish(channel, '', inventoryQueue);
    channel.ack(message as amqplib.GetMessage);
    const management = new URL(infrastructure.amqpManagementUrl);
    const { username, password } = credentials.operator;
    const response = await fetch(`${management.origin}/api/queues/%2F?columns=name`, { headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { name: string }[]).map((queue) => queue.name)).toContain(deadLetterQueueName(inventoryQueue));
  });

  it('cannot consume a consumer\'s own queue, nor declare or delete anything', async () => {
    await expectRefused((await channelAs('operator')).get(queueOf('inventory')));
    await expectRefused((await channelAs('operator')).deleteQueue(deadLetterQueueName(queueOf('inventory'))));
    await expectRefused((await channelAs('operator')).assertQueue(`${exchange}.operator-made`));
  });
});
