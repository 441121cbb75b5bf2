// `full`: real orders through POST /orders until CONFIRMED, the outcome seen on the events exchange rather than by polling the API.
import amqplib from 'amqplib';
import { consumedQueue } from '../../platform/messaging/broker-users.js';
import { consumerQueueName } from '../../platform/messaging/wire-names.js';
import { OperationFailedError, within, type Scenario } from './scenario.js';

/** The events that end an order, whatever its path (platform/events/catalog.ts). */
export const TERMINAL_EVENT_TYPES = ['order.confirmed', 'order.cancelled', 'order.payment-declined', 'order.rejected'] as const;
/** A product of the bench's own with stock for any run, so no order is cancelled for want of it. */
export const PROBE_SKU = 'BENCH-PROBE';
const PROBE_STOCK = 10_000_000;
const OUTCOME_TIMEOUT_MS = 120_000;
/** Outcomes seen before their POST was answered, kept for it; far more than the clients can have in flight. */
const EARLY_OUTCOMES_KEPT = 10_000;

/** Where and as whom the probe product is written. */
export interface ProbeStocking {
  apiUrl: string;
  /** An admin's bearer token: the bench writes the catalog and places orders for many customers. */
  authorization: string;
}

export interface FullScenarioOptions extends ProbeStocking {
  /** A broker user that may bind a queue of its own to the events exchange. */
  amqpUrl: string;
  eventsExchange: string;
}

export async function fullScenario(options: FullScenarioOptions): Promise<Scenario> {
  await stockProbeProduct(options);
  const connection = await amqplib.connect(options.amqpUrl);
  const channel = await connection.createChannel();
  // Temporary and exclusive: it goes with the bench's connection, and the stack's own queues are left alone.
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  for (const type of TERMINAL_EVENT_TYPES) await channel.bindQueue(queue, options.eventsExchange, type);
  const waiting = new Map<string, (type: string) => void>();
  /** An outcome that arrived before its POST was answered (a rejected cart can): kept until it is asked for. */
  const early = new Map<string, string>();
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      const event = JSON.parse(message.content.toString()) as { type?: string; orderId?: string };
      if (!event.orderId || !event.type) return;
      const resolve = waiting.get(event.orderId);
      if (resolve) resolve(event.type);
      else {
        // On a stack others use too, most unclaimed outcomes are theirs: keep only the most recent few.
        early.set(event.orderId, event.type);
        if (early.size > EARLY_OUTCOMES_KEPT) early.delete(early.keys().next().value!);
      }
    },
    { noAck: true },
  );

  let customer = 0;
  return {
    name: 'full',
    async operate() {
      const began = performance.now();
      const response = await fetch(`${options.apiUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: options.authorization },
        body: JSON.stringify({
          customerId: `bench-${customer++ % 1000}`,
          email: 'bench@example.com',
          items: [{ sku: PROBE_SKU, quantity: 1 }],
          paymentToken: 'tok_visa',
          shippingAddress: { name: 'Bench', line1: '1 Loop Road', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' },
        }),
      });
      const body = (await response.json()) as { orderId?: string; error?: { code?: string; message?: string } };
      const apiMs = performance.now() - began;
      if (response.status !== 201 || !body.orderId) {
        throw new OperationFailedError(`POST /orders answered ${response.status}${body.error ? ` ${body.error.code}: ${body.error.message}` : ''}`);
      }
      const orderId = body.orderId;
      const type = early.get(orderId) ?? (await within(new Promise<string>((resolve) => waiting.set(orderId, resolve)), OUTCOME_TIMEOUT_MS, `order ${orderId}'s outcome`).finally(() => waiting.delete(orderId)));
      early.delete(orderId);
      if (type !== 'order.confirmed') throw new OperationFailedError(`order ${orderId} ended with ${type}`);
      return { apiMs, e2eMs: performance.now() - began };
    },
    async queued() {
      // A channel of its own: a failed passive check closes the channel it was made on.
      const check = await connection.createChannel();
      try {
        let ready = 0;
        for (const component of Object.values(consumedQueue)) {
          ready += (await check.checkQueue(consumerQueueName(options.eventsExchange, component))).messageCount;
        }
        return ready;
      } finally {
        await check.close().catch(() => undefined);
      }
    },
    async close() {
      await connection.close();
    },
  };
}

/** Writes the probe product to its owner through the API and waits until the orders side's replica has it. */
export async function stockProbeProduct(options: ProbeStocking): Promise<void> {
  const headers = { 'content-type': 'application/json', authorization: options.authorization };
  const put = await fetch(`${options.apiUrl}/products/${PROBE_SKU}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ name: 'Bench probe', price: 100, available: PROBE_STOCK }),
  });
  if (!put.ok) throw new Error(`PUT /products/${PROBE_SKU} answered ${put.status}: ${await put.text()}`);
  await put.body?.cancel();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${options.apiUrl}/products/${PROBE_SKU}`, { headers });
    const product = (await response.json()) as { available?: number };
    if (response.ok && product.available === PROBE_STOCK) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the probe product ${PROBE_SKU} did not reach the API's catalog replica within a minute`);
}
