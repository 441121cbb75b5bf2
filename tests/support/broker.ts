// Broker helpers for tests: a unique exchange per test file, and a probe queue to watch what is published.
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { TEST_SECRETS } from './secrets.js';
import { loadConfig, type Config } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import type { IntegrationEvent } from '../../platform/events/catalog.js';
import { declareEventsExchange } from '../../platform/messaging/topology.js';
import { deadLetterQueueName, retryQueueName, unroutableQueueName } from '../../platform/messaging/wire-names.js';

export const testLog = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

/** A configuration pointing at the test servers, with an exchange of its own so test files never see each other's events. */
export function testConfig(
  infrastructure: { amqpUrl: string; temporalAddress: string; amqpManagementUrl?: string },
  overrides: Record<string, string> = {},
): Config {
  return loadConfig({
    ...TEST_SECRETS,
    AMQP_URL: infrastructure.amqpUrl,
    // The test broker has no guest: the dead-letter tooling signs in as the run's administrator.
    ...(infrastructure.amqpManagementUrl ? { RABBITMQ_MANAGEMENT_URL: infrastructure.amqpManagementUrl } : {}),
    TEMPORAL_ADDRESS: infrastructure.temporalAddress,
    EVENTS_EXCHANGE: `test.events.${randomUUID().slice(0, 8)}`,
    DATA_DIR: ':memory:',
    CONSUMER_RETRY_DELAYS_MS: '100,200,400',
    OUTBOX_POLL_INTERVAL: '100ms',
    LOG_LEVEL: 'silent',
    PORT: '0',
    PAYMENT_PROVIDER_PORT: '0',
    INVENTORY_PORT: '0',
    NOTIFICATIONS_PORT: '0',
    ORDER_OUTCOME_PORT: '0',
    ORDER_VIEW_PORT: '0',
    CARRIER_PORT: '0',
    SHIPPING_PORT: '0',
    WORKER_METRICS_PORT: '0',
    // A parcel arrives a second after it leaves, and a carrier failing for a while is asked again within a second.
    CARRIER_DELIVERY_DELAY: '1s',
    SHIPPING_RETRY_DELAYS_MS: '200,500',
    SHIPPING_TRACKING_INTERVAL: '200ms',
    // Tests fire requests in bursts from one address; only the rate-limit test sets a low budget, on purpose.
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...overrides,
  });
}

/** Binds an exclusive queue to the exchange and collects every event published with the given routing keys. */
export async function watchEvents(amqpUrl: string, exchange: string, routingKeys: string[] = ['#']) {
  const connection = await amqplib.connect(amqpUrl);
  const channel = await connection.createConfirmChannel();
  await declareEventsExchange(channel, exchange);
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  for (const key of routingKeys) await channel.bindQueue(queue, exchange, key);
  const events: IntegrationEvent[] = [];
  await channel.consume(queue, (message) => {
    if (message) events.push(JSON.parse(message.content.toString()) as IntegrationEvent);
  }, { noAck: true });
  return {
    events,
    ofType: (type: string) => events.filter((event) => event.type === type),
    close: async () => {
      await connection.close();
    },
  };
}

/** Polls until the check passes or the bound runs out; for eventually consistent outcomes, never a fixed sleep. */
export async function eventually<T>(check: () => T | Promise<T>, { timeoutMs = 15_000, intervalMs = 50 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Polls until the probe yields a value (neither undefined nor false), naming what it waited for when the bound runs out. */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  return eventually(async () => {
    const value = await probe();
    if (value === undefined || value === false) throw new Error(`timed out waiting for ${what}`);
    return value;
  }, { timeoutMs });
}

/** Reads until `done` holds (visibility and replicas are eventually consistent), returning the read that satisfied it. */
export async function readUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const { value } = await waitFor(async () => {
    const value = await read();
    return done(value) ? { value } : undefined;
  }, 'an eventually consistent read', timeoutMs);
  return value;
}

/** Reads a queue's depth through the management API. */
export async function queueDepth(managementUrl: string, queue: string): Promise<number> {
  const url = new URL(`/api/queues/%2F/${encodeURIComponent(queue)}`, managementUrl);
  const auth = Buffer.from(`${decodeURIComponent(url.username || 'guest')}:${decodeURIComponent(url.password || 'guest')}`).toString('base64');
  url.username = '';
  url.password = '';
  const response = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  if (!response.ok) throw new Error(`management API ${response.status} for queue ${queue}`);
  const body = (await response.json()) as { messages?: number };
  return body.messages ?? 0;
}

/** Removes what a test declared on the shared broker (its queues with their retry and dead-letter queues, the exchange), so runs leave nothing behind. */
export async function deleteTopology(amqpUrl: string, exchange: string, queues: readonly string[], retryDelaysMs: readonly number[]): Promise<void> {
  const connection = await amqplib.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) {
      for (const name of [queue, deadLetterQueueName(queue), ...retryDelaysMs.map((delay) => retryQueueName(queue, delay))]) {
        await channel.deleteQueue(name);
      }
    }
    await channel.deleteExchange(exchange);
    await channel.deleteQueue(unroutableQueueName(exchange));
    await channel.deleteExchange(unroutableQueueName(exchange));
    await channel.close();
  } finally {
    await connection.close();
  }
}
