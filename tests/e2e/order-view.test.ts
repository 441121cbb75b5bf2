// The order view end to end: every end an order comes to as the view shows it, read-your-writes across API instances, and a rebuild equal to the live view.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApi, type RunningApi } from '../../api/index.js';
import { startOrderView, type RunningOrderView } from '../../event-handlers/order-view/index.js';
import { createLogger } from '../../platform/logger.js';
import { connectBroker } from '../../platform/messaging/broker.js';
import { createEventPublisher } from '../../platform/messaging/publisher.js';
import { deleteTopology, eventually, testLog } from '../support/broker.js';
import { call, createProduct, getOrder, orderRequest, ownerCall, placeOrder, waitForStatus, waitForTerminal } from '../support/http.js';
import { orderStory } from '../support/order-stories.js';
import { startStack, type Stack } from '../support/stack.js';
import { TEST_SECRETS } from '../support/secrets.js';
import { repositoryRoot } from '../../scripts/local-servers/temporal-cli.js';

let stack: Stack;

beforeAll(async () => {
  // A short deadline, so that one order can time out waiting on a stopped inventory within the test.
  stack = await startStack({ env: { INVENTORY_TIMEOUT: '6s' } });
});
afterAll(async () => {
  await stack?.teardown();
});

/** The order as the view itself answers it (its own surface, with the service credential). */
const viewed = async (orderId: string) => (await ownerCall(`${stack.orderView}/orders/${orderId}`)).body;

describe('every end an order comes to, as the order view shows it', () => {
  it('shows confirmed, declined, rejected, and cancelled out of stock, on timeout and at the customer\'s request', async () => {
    const sku = await createProduct(stack, 1, 1500);
    const plenty = await createProduct(stack, 50, 700);
    const place = async (...args: Parameters<typeof orderRequest>) => (await placeOrder(stack, orderRequest(...args))).body.orderId as string;
    let raceA: string;
    let raceB: string;
    let byCustomer: string;
    let timedOut: string;
    await stack.stop('inventory');
    try {
      // Inventory away: one order is cancelled by its customer, one times out; then two orders for the last unit both
      // pass the replica, and are placed late enough to outlive the deadline until inventory is back.
      byCustomer = await place([{ sku: plenty, quantity: 1 }]);
      timedOut = await place([{ sku: plenty, quantity: 2 }]);
      await waitForStatus(stack, byCustomer, 'PAYMENT_AUTHORIZED');
      expect((await call(`${stack.api}/orders/${byCustomer}/cancel`, { method: 'POST' })).status).toBe(200);
      await waitForStatus(stack, timedOut, 'CANCELLED', 30_000);
      raceA = await place([{ sku, quantity: 1 }]);
      raceB = await place([{ sku, quantity: 1 }]);
      await waitForStatus(stack, raceA, 'PAYMENT_AUTHORIZED');
      await waitForStatus(stack, raceB, 'PAYMENT_AUTHORIZED');
    } finally {
      await stack.start('inventory');
    }
    const confirmed = await place([{ sku: plenty, quantity: 3 }]);
    const declined = await place([{ sku: plenty, quantity: 1 }], { paymentToken: 'tok_declined' });
    const refused = await placeOrder(stack, orderRequest([{ sku: 'NO-SUCH-SKU', quantity: 1 }]));
    expect(refused.status).toBe(422);
    const rejected = refused.body.error.orderId as string;

    const finals = await Promise.all([raceA, raceB].map((orderId) => waitForTerminal(stack, orderId)));
    expect(finals.map((order) => order.status).sort()).toEqual(['CANCELLED', 'CONFIRMED']);
    const outOfStock = finals.find((order) => order.status === 'CANCELLED')!.orderId as string;
    const raceWinner = finals.find((order) => order.status === 'CONFIRMED')!.orderId as string;

    // A confirmed order ships and is delivered (the test carrier delivers after a second): its last state, so the view
    // and the API can be compared without the row moving in between.
    const delivered = { status: 'DELIVERED', carrier: expect.any(String), trackingNumber: expect.any(String) };
    const expected: [string, object][] = [
      [confirmed, { status: 'CONFIRMED', payment: { status: 'CAPTURED' }, inventory: { status: 'COMMITTED' }, shipment: delivered, total: 2100 }],
      [raceWinner, { status: 'CONFIRMED', payment: { status: 'CAPTURED' }, inventory: { status: 'COMMITTED' }, shipment: delivered }],
      [declined, { status: 'PAYMENT_DECLINED', payment: { status: 'DECLINED' }, inventory: { status: 'PENDING' }, shipment: { status: 'NONE' } }],
      [rejected, { status: 'REJECTED', reason: 'CART_INVALID', lines: [], shipment: { status: 'NONE' } }],
      [outOfStock, { status: 'CANCELLED', reason: 'OUT_OF_STOCK', payment: { status: 'VOIDED' }, inventory: { status: 'REJECTED' } }],
      [timedOut, { status: 'CANCELLED', reason: 'INVENTORY_TIMEOUT', payment: { status: 'VOIDED' }, inventory: { status: 'TIMED_OUT', slow: true } }],
      [byCustomer, { status: 'CANCELLED', reason: 'CUSTOMER_REQUEST', payment: { status: 'VOIDED' }, inventory: { status: 'RELEASED' } }],
    ];
    for (const [orderId, shape] of expected) {
      await eventually(async () => expect(await viewed(orderId), orderId).toMatchObject({ orderId, ...shape }), { timeoutMs: 30_000, intervalMs: 200 });
      // The API answers from the view: the same row, with its links.
      const { body } = await getOrder(stack, orderId);
      const { links, ...fromApi } = body;
      expect(fromApi).toEqual(await viewed(orderId));
      expect(links.self).toBe(`/orders/${orderId}`);
    }
    // Names come with the order.placed facts; the view keeps no email or address.
    const confirmedView = await viewed(confirmed);
    expect(confirmedView.lines).toEqual([{ sku: plenty, name: `Test product ${plenty}`, quantity: 3, unitPrice: 700, lineTotal: 2100 }]);
    expect(JSON.stringify(confirmedView)).not.toMatch(/grace@example.com|Navy Yard/);

    // The list carries what the console shows (reason, currency, the watchdog's flag), newest first.
    const customer = (await getOrder(stack, timedOut)).body.customerId as string;
    const listed = (await call(`${stack.api}/orders?customerId=${customer}`)).body;
    expect(listed.orders).toEqual([
      expect.objectContaining({ orderId: timedOut, status: 'CANCELLED', reason: 'INVENTORY_TIMEOUT', currency: 'USD', inventory: { status: 'TIMED_OUT', slow: true } }),
    ]);
  });

  it('rebuilds from its history stream into the view it built live', async () => {
    const live = await eventually(async () => {
      const page = (await ownerCall(`${stack.orderView}/orders?limit=100`)).body as { orders: { status: string; shipment: { status: string } }[] };
      // Every order of this stack has ended, and every shipment too: nothing moves while the two are compared.
      expect(page.orders.every((order) => ['CONFIRMED', 'CANCELLED', 'REJECTED', 'PAYMENT_DECLINED'].includes(order.status))).toBe(true);
      expect(page.orders.every((order) => order.status !== 'CONFIRMED' || ['DELIVERED', 'FAILED'].includes(order.shipment.status))).toBe(true);
      return page;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(live.orders.length).toBeGreaterThanOrEqual(7);
    const rebuilt = await ownerCall(`${stack.orderView}/rebuild`, { method: 'POST' });
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.body.orders).toBe(live.orders.length);
    expect((await ownerCall(`${stack.orderView}/orders?limit=100`)).body).toEqual(live);
  });

  it('is rebuilt by npm run view:rebuild, which says what it replayed', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/view-rebuild.ts'], {
      cwd: repositoryRoot,
      env: { PATH: process.env.PATH ?? '', ORDER_VIEW_URL: stack.orderView, SERVICE_TOKEN: TEST_SECRETS.SERVICE_TOKEN, LOG_LEVEL: 'silent' },
    });
    expect(stdout).toMatch(/^rebuilt: \d+ events replayed, \d+ orders in the view$/m);
  });
});

describe('reading your own writes', () => {
  const log = createLogger('order-view-e2e', 'silent');
  const exchange = `test.lagging-view.${randomUUID().slice(0, 8)}`;
  let laggingView: RunningOrderView | undefined;
  let secondApi: RunningApi | undefined;

  beforeAll(async () => {
    // The stack's view replaced, at the same address, by one that sees none of the stack's events: a view lagging
    // behind every write. The test feeds it events itself, through the real broker, to put it behind or ahead.
    await stack.stop('order-view');
    laggingView = await startOrderView({ ...stack.config, EVENTS_EXCHANGE: exchange, ORDER_VIEW_PORT: Number(new URL(stack.orderView).port) }, log);
    // A second API instance on the same store: what one instance wrote, the other reads.
    secondApi = await startApi({ ...stack.config, PORT: 0 }, testLog.child({ component: 'api-2' }));
  });
  afterAll(async () => {
    await secondApi?.stop();
    await laggingView?.stop();
    await stack.start('order-view');
    await deleteTopology(inject('infrastructure').amqpUrl, exchange, laggingView ? [laggingView.queue, laggingView.stream] : [], stack.config.CONSUMER_RETRY_DELAYS_MS);
  });

  async function feedView(events: ReturnType<typeof orderStory>) {
    const broker = await connectBroker(inject('infrastructure').amqpUrl, log, 'order-view-e2e');
    const publisher = createEventPublisher(broker, log, { exchange, confirmTimeoutMs: 10_000 });
    try {
      for (const event of events) await publisher.publish(event);
    } finally {
      await publisher.close();
      await broker.close();
    }
  }

  it('shows an order just accepted, and just cancelled, at once and on another API instance, before the view has it', async () => {
    const sku = await createProduct(stack, 10, 900);
    const request = orderRequest([{ sku, quantity: 1 }]);
    const placed = await placeOrder(stack, request);
    expect(placed.status).toBe(201);
    const { orderId } = placed.body;
    expect((await ownerCall(`${stack.orderView}/orders/${orderId}`)).status).toBe(404);
    for (const api of [stack.api, secondApi!.url]) {
      expect((await call(`${api}/orders/${orderId}`)).body).toMatchObject({ orderId, status: 'CART_VERIFIED', customerId: request.customerId, total: 900 });
    }

    // Cancelled before payment went through: the workflow voids and ends CANCELLED, and says so to the cancel.
    expect((await call(`${stack.api}/orders/${orderId}/cancel`, { method: 'POST' })).body).toEqual({ orderId, status: 'CANCELLED' });
    for (const api of [stack.api, secondApi!.url]) {
      expect((await call(`${api}/orders/${orderId}`)).body).toMatchObject({ orderId, status: 'CANCELLED', reason: 'CUSTOMER_REQUEST', payment: { status: 'VOIDED' } });
    }

    // The view catches up only as far as the payment: the API's cancel is further along and wins...
    const story = orderStory(orderId, 'cancelled-by-customer', { customerId: request.customerId, start: new Date() });
    await feedView(story.slice(0, 2));
    await eventually(async () => expect((await ownerCall(`${stack.orderView}/orders/${orderId}`)).body.status).toBe('PAYMENT_AUTHORIZED'));
    expect((await call(`${secondApi!.url}/orders/${orderId}`)).body).toMatchObject({ status: 'CANCELLED', reason: 'CUSTOMER_REQUEST' });
    const listed = (await call(`${secondApi!.url}/orders?customerId=${request.customerId}`)).body.orders;
    expect(listed).toMatchObject([{ orderId, status: 'CANCELLED', reason: 'CUSTOMER_REQUEST' }]);

    // ...until the view has the cancellation too; from then on the view answers (its freshness is the event's time).
    await feedView(story.slice(2));
    await eventually(async () => {
      expect((await call(`${stack.api}/orders/${orderId}`)).body).toMatchObject({
        status: 'CANCELLED', reason: 'CUSTOMER_REQUEST', inventory: { status: 'RELEASED' }, shipment: { status: 'NONE' }, asOf: story.at(-1)!.occurredAt,
      });
    });
  });

  it('answers from the view when the view is further along than the API\'s write', async () => {
    const sku = await createProduct(stack, 10, 900);
    const request = orderRequest([{ sku, quantity: 1 }]);
    const { orderId } = (await placeOrder(stack, request)).body;
    const story = orderStory(orderId, 'delivered', { customerId: request.customerId, start: new Date() });
    await feedView(story);
    // The view handles several messages at once, so it may hold the delivery a moment before the confirmation:
    // wait for the whole row, not for its last fact.
    await eventually(async () => {
      expect((await call(`${secondApi!.url}/orders/${orderId}`)).body).toMatchObject({
        status: 'CONFIRMED',
        shipment: { status: 'DELIVERED', carrier: 'parcelpost', trackingNumber: 'PP123456' },
        asOf: story.at(-1)!.occurredAt,
      });
    });
  });
});
