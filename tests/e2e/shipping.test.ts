// End to end, every component real: a confirmed order ships and is delivered by choreography alone; a failing carrier, a refused address and a cancel each end as they should.
import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel } from 'amqplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type EventData, type EventType, type IntegrationEvent } from '../../platform/events/catalog.js';
import { toMessage } from '../../platform/messaging/publisher.js';
import { shippingQueueName } from '../../event-handlers/shipping/index.js';
import { eventually, watchEvents } from '../support/broker.js';
import { call, createProduct, getOrder, notificationsOf, orderRequest, ownerCall, placeOrder, waitForStatus } from '../support/http.js';
import { startStack, type Stack } from '../support/stack.js';

interface Entry {
  at: string;
  source: string;
  kind: string;
  name: string;
  detail?: Record<string, any>;
  eventId?: string;
  attempt?: number;
}

let stack: Stack;
let watch: Awaited<ReturnType<typeof watchEvents>>;
let connection: ChannelModel;

beforeAll(async () => {
  // Consumer retries spread over a few seconds, so a cancel can outwait a slow booking (SLOW answers after 2 s).
  stack = await startStack({ env: { CONSUMER_RETRY_DELAYS_MS: '300,600,1200' } });
  watch = await watchEvents(stack.config.AMQP_URL[0]!, stack.config.EVENTS_EXCHANGE, ['shipment.*']);
  connection = await amqplib.connect(stack.config.AMQP_URL[0]!);
});
afterAll(async () => {
  await connection?.close();
  await watch?.close();
  await stack?.teardown();
});

const address = (postalCode: string) => ({ name: 'Grace Hopper', line1: '1 Navy Yard', city: 'Arlington', postalCode, country: 'US' });

/** Places an order to the given postal code (the carrier's test behaviours) and waits until it is confirmed. */
async function confirmedOrder(postalCode = '22202') {
  const sku = await createProduct(stack, 5);
  const placed = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }], { shippingAddress: address(postalCode) }));
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  await waitForStatus(stack, placed.body.orderId, 'CONFIRMED');
  return placed.body.orderId as string;
}

const shipmentOf = async (orderId: string) => (await ownerCall(`${stack.shipping}/shipments?orderId=${encodeURIComponent(orderId)}`)).body;
const bookingsAtCarrier = async (orderId: string) =>
  (await ownerCall(`${stack.carrier}/shipments?orderId=${encodeURIComponent(orderId)}`)).body.shipments as { id: string; trackingNumber: string; status: string }[];
const timelineOf = async (orderId: string) => (await call<{ entries: Entry[]; unavailableSources: unknown[] }>(`${stack.api}/orders/${orderId}/timeline`)).body;
const eventsFor = (orderId: string, type: string) => watch.ofType(type).filter((event) => event.orderId === orderId);

async function waitForShipment(orderId: string, status: string, timeoutMs = 20_000) {
  return eventually(async () => {
    const shipment = await shipmentOf(orderId);
    expect(shipment?.status, JSON.stringify(shipment)).toBe(status);
    return shipment;
  }, { timeoutMs, intervalMs: 100 });
}

/** What shipping's own table holds about the order's address (the test reads the store, as an auditor would). */
async function storedAddressOf(orderId: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: stack.config.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<{ address: unknown }>('SELECT address FROM shipping.shipments WHERE order_id = $1', [orderId])).rows[0]?.address;
  } finally {
    await client.end();
  }
}

/**
 * Delivers an event straight into shipping's queue, for the orderings a running workflow cannot be made to produce
 * (the other consumers would only wait in vain for the order's earlier events).
 */
async function publish<T extends EventType>(type: T, data: EventData<T> & { orderId: string }) {
  const event = createEvent(type, data, { eventId: `${data.orderId}:${type}`, correlationId: `order-${data.orderId}`, orderId: data.orderId }) as IntegrationEvent;
  const { content, options } = toMessage(event);
  const channel = await connection.createConfirmChannel();
  channel.sendToQueue(shippingQueueName(stack.config.EVENTS_EXCHANGE), content, options);
  await channel.waitForConfirms();
  await channel.close();
}

describe('shipping a confirmed order', () => {
  it('books it once, emits shipment.dispatched then shipment.delivered, tells the customer "shipped" and "delivered" once each, and shows the shipping lane', async () => {
    const orderId = await confirmedOrder();

    const delivered = await waitForShipment(orderId, 'DELIVERED');
    expect(delivered).toMatchObject({ carrier: 'Swiftpost', trackingNumber: expect.stringMatching(/^SW\d+$/), failure: null, bookingAttempts: 1 });
    const bookings = await bookingsAtCarrier(orderId);
    expect(bookings).toMatchObject([{ id: delivered.shipmentId, trackingNumber: delivered.trackingNumber, status: 'DELIVERED' }]);

    await eventually(async () => {
      expect(eventsFor(orderId, 'shipment.dispatched')).toHaveLength(1);
      expect(eventsFor(orderId, 'shipment.delivered')).toHaveLength(1);
    });
    const [dispatched] = eventsFor(orderId, 'shipment.dispatched') as IntegrationEvent<'shipment.dispatched'>[];
    expect(dispatched!.data).toEqual({
      orderId, customerId: expect.any(String), shipmentId: delivered.shipmentId, carrier: 'Swiftpost', trackingNumber: delivered.trackingNumber, trackingUrl: delivered.trackingUrl,
    });
    // The envelope ties it to the order's story: caused by order.confirmed, correlated with the order's workflow.
    expect(dispatched).toMatchObject({ eventId: `${orderId}:shipment.dispatched`, causationId: `${orderId}:order.confirmed`, correlationId: `order-${orderId}` });
    // The customer's tracking link works without any credential, as a carrier's tracking page does.
    const tracking = await fetch(delivered.trackingUrl);
    expect(tracking.status).toBe(200);
    expect(await tracking.json()).toMatchObject({ trackingNumber: delivered.trackingNumber, status: 'DELIVERED' });

    await eventually(async () =>
      expect((await notificationsOf(stack, orderId)).map((n) => n.type).sort()).toEqual(['ORDER_CONFIRMED', 'ORDER_DELIVERED', 'ORDER_PLACED', 'ORDER_SHIPPED']),
    );
    // Delivered: the label's work is done, so shipping keeps the address no longer.
    expect(await storedAddressOf(orderId)).toBeNull();
    // The order view, fed by the same events, shows the customer the shipment with its tracking number.
    await eventually(async () =>
      expect((await getOrder(stack, orderId)).body.shipment).toEqual({ status: 'DELIVERED', carrier: 'Swiftpost', trackingNumber: delivered.trackingNumber }),
    );

    // The relay journals a publish after the broker confirms it, which may be after a consumer has already acted on
    // the event: wait for the whole story, not for its last consumer.
    const { timeline, shipping } = await eventually(async () => {
      const body = await timelineOf(orderId);
      expect(body.entries.filter((entry) => entry.source === 'notifications' && entry.kind === 'notification-sent')).toHaveLength(4);
      const lane = body.entries.filter((entry) => entry.source === 'shipping').map((entry) => `${entry.kind} ${entry.name}`);
      expect(lane).toEqual(expect.arrayContaining([
        'event-consumed order.confirmed', 'shipment-booked POST /shipments', 'event-emitted shipment.dispatched', 'event-relayed shipment.dispatched',
        'shipment-delivered Swiftpost', 'event-emitted shipment.delivered', 'event-relayed shipment.delivered',
      ]));
      return { timeline: body, shipping: lane };
    });
    expect(timeline.unavailableSources).toEqual([]);
    expect(shipping.indexOf('event-consumed order.confirmed')).toBeLessThan(shipping.indexOf('shipment-booked POST /shipments'));
    expect(timeline.entries.some((entry) => entry.source === 'notifications' && entry.kind === 'event-consumed' && entry.name === 'shipment.dispatched')).toBe(true);
    // Where the parcel went is not the timeline's business.
    expect(JSON.stringify(timeline.entries)).not.toContain('Navy Yard');
  });

  it('ships through a slow carrier too', async () => {
    const orderId = await confirmedOrder('SLOW');
    await waitForShipment(orderId, 'DELIVERED');
    expect(await bookingsAtCarrier(orderId)).toHaveLength(1);
  });

  it('retries a carrier that fails for a while, with back-off, and ships once', async () => {
    const orderId = await confirmedOrder('FLAKY');
    const shipment = await waitForShipment(orderId, 'DELIVERED');
    // Two 503s, then the booking: three attempts under one idempotency key, one parcel.
    expect(shipment.bookingAttempts).toBe(3);
    expect(await bookingsAtCarrier(orderId)).toHaveLength(1);
    await eventually(async () => expect(eventsFor(orderId, 'shipment.dispatched')).toHaveLength(1));

    const { entries } = await timelineOf(orderId);
    const retries = entries.filter((entry) => entry.source === 'shipping' && entry.kind === 'booking-failed');
    expect(retries.map((entry) => [entry.attempt, entry.detail?.outcome])).toEqual([[1, 'retry-scheduled'], [2, 'retry-scheduled']]);
    expect(retries[0]!.detail?.reason).toMatch(/503/);
    expect(entries.filter((entry) => entry.kind === 'shipment-booked')).toMatchObject([{ attempt: 3 }]);
  });
});

describe('a shipment that cannot go', () => {
  it('a refused address emits shipment.failed with the carrier\'s reason for an operator; the order stays CONFIRMED and the timeline shows it', async () => {
    const orderId = await confirmedOrder('REFUSED');
    const shipment = await waitForShipment(orderId, 'FAILED');
    expect(shipment.failure).toEqual({ reason: 'ADDRESS_REFUSED', message: expect.stringMatching(/does not deliver to postal code REFUSED/) });

    await eventually(async () => expect(eventsFor(orderId, 'shipment.failed')).toHaveLength(1));
    expect(eventsFor(orderId, 'shipment.failed')[0]!.data).toEqual({
      orderId, customerId: expect.any(String), carrier: 'Swiftpost', reason: 'ADDRESS_REFUSED', message: shipment.failure.message,
    });
    expect(eventsFor(orderId, 'shipment.dispatched')).toEqual([]);
    expect(await bookingsAtCarrier(orderId)).toEqual([]);
    // A business exception, not a compensation: the money stays captured, the order confirmed, and the order view shows
    // the failed shipment for an operator.
    await eventually(async () =>
      expect((await getOrder(stack, orderId)).body).toMatchObject({ status: 'CONFIRMED', payment: { status: 'CAPTURED' }, shipment: { status: 'FAILED', carrier: 'Swiftpost' } }),
    );
    expect(await storedAddressOf(orderId)).toBeNull();

    const { entries } = await timelineOf(orderId);
    expect(entries).toContainEqual(expect.objectContaining({ source: 'shipping', kind: 'shipment-failed', name: 'ADDRESS_REFUSED', detail: { message: shipment.failure.message } }));
    expect(entries).toContainEqual(expect.objectContaining({ source: 'shipping', kind: 'event-emitted', name: 'shipment.failed' }));
    expect((await notificationsOf(stack, orderId)).map((n) => n.type)).not.toContain('ORDER_SHIPPED');
  });

  it('an order confirmed before orders carried an address emits shipment.failed ADDRESS_MISSING', async () => {
    const orderId = randomUUID();
    await publish('order.confirmed', { orderId, customerId: 'cust-legacy', lines: [{ sku: 'MUG-LOGO', quantity: 1 }], total: 1250, currency: 'USD' });
    const shipment = await waitForShipment(orderId, 'FAILED');
    expect(shipment.failure).toMatchObject({ reason: 'ADDRESS_MISSING' });
    await eventually(async () => expect(eventsFor(orderId, 'shipment.failed').map((event) => (event.data as { reason: string }).reason)).toEqual(['ADDRESS_MISSING']));
    expect(await bookingsAtCarrier(orderId)).toEqual([]);
  });
});

describe('a cancelled order', () => {
  it('never ships', async () => {
    const sku = await createProduct(stack, 4);
    await stack.stop('inventory');
    let orderId: string;
    try {
      const placed = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]));
      orderId = placed.body.orderId;
      await waitForStatus(stack, orderId, 'PAYMENT_AUTHORIZED');
      expect((await call(`${stack.api}/orders/${orderId}/cancel`, { method: 'POST' })).status).toBe(200);
    } finally {
      await stack.start('inventory');
    }
    const shipment = await waitForShipment(orderId, 'CANCELLED');
    expect(shipment).toMatchObject({ carrier: null, trackingNumber: null });
    expect(await bookingsAtCarrier(orderId)).toEqual([]);
    expect(eventsFor(orderId, 'shipment.dispatched')).toEqual([]);
  });

  it('never ships when its cancellation overtakes a confirmation (events reordered), nor when the confirmation comes first but booking has not', async () => {
    const lines = [{ sku: 'MUG-LOGO', quantity: 1 }];
    const overtaken = randomUUID();
    await publish('order.cancelled', { orderId: overtaken, customerId: 'cust-r', lines, reason: 'CUSTOMER_REQUEST' });
    await waitForShipment(overtaken, 'CANCELLED');
    await publish('order.confirmed', { orderId: overtaken, customerId: 'cust-r', lines, total: 1250, currency: 'USD', shippingAddress: address('22202') });

    // Booking a confirmed order needs the carrier; while it is down, a cancel still catches the shipment before it leaves.
    await stack.stop('carrier');
    const late = randomUUID();
    try {
      await publish('order.confirmed', { orderId: late, customerId: 'cust-r', lines, total: 1250, currency: 'USD', shippingAddress: address('22202') });
      await waitForShipment(late, 'TO_BOOK');
      await publish('order.cancelled', { orderId: late, customerId: 'cust-r', lines, reason: 'CUSTOMER_REQUEST' });
      await waitForShipment(late, 'CANCELLED');
    } finally {
      await stack.start('carrier');
    }

    await eventually(async () => {
      const { entries } = await timelineOf(overtaken);
      expect(entries).toContainEqual(expect.objectContaining({ source: 'shipping', kind: 'shipment-skipped', name: 'order.confirmed' }));
    });
    // Give the loop time to (wrongly) book either of them with the carrier back.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const orderId of [overtaken, late]) {
      expect((await shipmentOf(orderId)).status).toBe('CANCELLED');
      expect(await bookingsAtCarrier(orderId)).toEqual([]);
      expect(eventsFor(orderId, 'shipment.dispatched')).toEqual([]);
      expect(await storedAddressOf(orderId)).toBeNull();
    }
  });

  it('a cancel arriving while the carrier is being asked waits for its answer, and is reported too late for an operator when the parcel left', async () => {
    const lines = [{ sku: 'MUG-LOGO', quantity: 1 }];
    const orderId = randomUUID();
    // The slow carrier holds the booking for two seconds: the cancel lands in the middle of it.
    await publish('order.confirmed', { orderId, customerId: 'cust-r', lines, total: 1250, currency: 'USD', shippingAddress: address('SLOW') });
    await eventually(async () => expect(await shipmentOf(orderId)).toMatchObject({ status: 'TO_BOOK', bookingAttempts: 1 }), { timeoutMs: 10_000, intervalMs: 50 });
    await publish('order.cancelled', { orderId, customerId: 'cust-r', lines, reason: 'CUSTOMER_REQUEST' });

    await waitForShipment(orderId, 'DELIVERED');
    await eventually(async () => {
      const { entries } = await timelineOf(orderId);
      expect(entries).toContainEqual(expect.objectContaining({ source: 'shipping', kind: 'shipment-cancel-too-late', name: 'order.cancelled', detail: { status: expect.stringMatching(/DISPATCHED|DELIVERED/) } }));
      // The cancel was retried while the booking was in flight, not lost and not applied half-way.
      expect(entries).toContainEqual(expect.objectContaining({ source: 'shipping', kind: 'event-consumed', name: 'order.cancelled', detail: expect.objectContaining({ outcome: 'retry-scheduled' }) }));
    });
    expect(await bookingsAtCarrier(orderId)).toHaveLength(1);
  });
});
