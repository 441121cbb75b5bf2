// Notifications specification: one notification per order and type, whatever order or how often the events arrive; SMTP when configured.
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Config } from '../../platform/config.js';
import { createEvent, type EventData, type EventType, type IntegrationEvent } from '../../platform/events/catalog.js';
import { createLogger } from '../../platform/logger.js';
import { connectBroker, type Broker } from '../../platform/messaging/broker.js';
import { createEventPublisher, type EventPublisher } from '../../platform/messaging/publisher.js';
import { startNotifications, type RunningNotifications } from '../../event-handlers/notifications/index.js';

import { deleteTopology, testConfig as sharedTestConfig, waitFor } from '../support/broker.js';
import { serviceAuth } from '../support/secrets.js';
const infrastructure = inject('infrastructure');
const log = createLogger('notifications-test', 'silent');
const RETRY_DELAYS = [200, 400];

function testConfig(exchange: string, overrides: Record<string, string> = {}): Config {
  return sharedTestConfig(infrastructure, {
    EVENTS_EXCHANGE: exchange,
    CONSUMER_RETRY_DELAYS_MS: RETRY_DELAYS.join(','),
    CONSUMER_MAX_ATTEMPTS: '10',
    ...overrides,
  });
}

// expect's asymmetric matchers are typed any; naming them once keeps the assertions typed.
const anyString = expect.any(String) as string;
const isoTimestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string;
const mentionsRefusal = expect.stringMatching(/550|rejected/i) as string;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes order events as the order workflow would. */
class OrderEvents {
  private constructor(
    private readonly broker: Broker,
    private readonly publisher: EventPublisher,
  ) {}

  static async open(exchange: string): Promise<OrderEvents> {
    const broker = await connectBroker(infrastructure.amqpUrl, log, 'notifications-test');
    return new OrderEvents(broker, createEventPublisher(broker, log, { exchange, confirmTimeoutMs: 10_000 }));
  }

  async publish<T extends EventType>(type: T, data: EventData<T> & { orderId: string }, eventId = `${data.orderId}:${type}`) {
    const event = createEvent(type, data, { eventId, correlationId: data.orderId, orderId: data.orderId }) as IntegrationEvent;
    await this.publisher.publish(event);
    return event;
  }

  async close(): Promise<void> {
    await this.publisher.close();
    await this.broker.close();
  }
}


const placed = (orderId: string, email = 'ada@example.com'): EventData<'order.placed'> => ({
  orderId,
  customerId: 'cust-ada',
  email,
  lines: [{ sku: 'MUG-LOGO', quantity: 2, unitPrice: 1250 }],
  total: 2500,
  currency: 'USD',
});
const confirmed = (orderId: string): EventData<'order.confirmed'> => ({
  orderId,
  customerId: 'cust-ada',
  lines: [{ sku: 'MUG-LOGO', quantity: 2 }],
  total: 2500,
  currency: 'USD',
});

interface NotificationView {
  id: string;
  orderId: string;
  type: string;
  channel: string;
  to: string;
  sentAt: string | null;
  delivery: string;
}

async function notificationsOf(base: string, orderId: string): Promise<NotificationView[]> {
  const response = await fetch(`${base}/notifications?orderId=${encodeURIComponent(orderId)}`, { headers: serviceAuth });
  expect(response.status).toBe(200);
  return ((await response.json()) as { notifications: NotificationView[] }).notifications;
}

const delivered = (notifications: NotificationView[], count: number) =>
  notifications.length === count && notifications.every((n) => n.delivery !== 'pending') ? notifications : undefined;

describe('notifications without SMTP (logged)', () => {
  const exchange = `test.notifications.${randomUUID().slice(0, 8)}`;
  let notifications: RunningNotifications;
  let events: OrderEvents;

  beforeAll(async () => {
    events = await OrderEvents.open(exchange);
    notifications = await startNotifications(testConfig(exchange), log);
  });
  afterAll(async () => {
    await notifications?.stop();
    await events?.close();
    await deleteTopology(infrastructure.amqpUrl, exchange, notifications ? [notifications.queue] : [], RETRY_DELAYS);
  });

  it('records one email notification for a placed order, readable over HTTP', async () => {
    const orderId = `ord-${randomUUID()}`;
    await events.publish('order.placed', placed(orderId));

    const [notification] = await waitFor(async () => delivered(await notificationsOf(notifications.url, orderId), 1), 'the notification');
    expect(notification).toEqual({
      id: anyString,
      orderId,
      type: 'ORDER_PLACED',
      channel: 'email',
      to: 'ada@example.com',
      sentAt: isoTimestamp,
      delivery: 'logged',
    });
  });

  it('retries a confirmation that arrives before the order was placed, and records it once the placement arrives', async () => {
    const orderId = `ord-${randomUUID()}`;
    await events.publish('order.confirmed', confirmed(orderId));
    await pause(500);
    expect(await notificationsOf(notifications.url, orderId)).toEqual([]);

    await events.publish('order.placed', placed(orderId, 'grace@example.com'));
    const recorded = await waitFor(async () => delivered(await notificationsOf(notifications.url, orderId), 2), 'both notifications');
    expect(recorded.map((n) => n.type).sort()).toEqual(['ORDER_CONFIRMED', 'ORDER_PLACED']);
    expect(recorded.every((n) => n.to === 'grace@example.com')).toBe(true);
  });

  it('records once when the same event is delivered twice or the same fact arrives under another event id', async () => {
    const orderId = `ord-${randomUUID()}`;
    const event = await events.publish('order.placed', placed(orderId));
    await events.publish('order.placed', placed(orderId), event.eventId);
    await events.publish('order.placed', placed(orderId), `${event.eventId}:resent`);
    await waitFor(async () => delivered(await notificationsOf(notifications.url, orderId), 1), 'the notification');
    await pause(500);
    expect(await notificationsOf(notifications.url, orderId)).toHaveLength(1);
  });

  it('tells the customer about a cancellation and about a declined payment', async () => {
    const cancelledOrder = `ord-${randomUUID()}`;
    const declinedOrder = `ord-${randomUUID()}`;
    await events.publish('order.placed', placed(cancelledOrder));
    await events.publish('order.cancelled', { orderId: cancelledOrder, customerId: 'cust-ada', lines: [{ sku: 'MUG-LOGO', quantity: 2 }], reason: 'OUT_OF_STOCK' });
    await events.publish('order.placed', placed(declinedOrder));
    await events.publish('order.payment-declined', { orderId: declinedOrder, customerId: 'cust-ada', reason: 'card_declined' });

    const cancelled = await waitFor(async () => delivered(await notificationsOf(notifications.url, cancelledOrder), 2), 'cancellation');
    const declined = await waitFor(async () => delivered(await notificationsOf(notifications.url, declinedOrder), 2), 'decline');
    expect(cancelled.map((n) => n.type).sort()).toEqual(['ORDER_CANCELLED', 'ORDER_PLACED']);
    expect(declined.map((n) => n.type).sort()).toEqual(['ORDER_PLACED', 'PAYMENT_DECLINED']);
  });

  it('tells the customer the order shipped, with the tracking link, and that it was delivered, once each', async () => {
    const orderId = `ord-${randomUUID()}`;
    const shipment = { orderId, customerId: 'cust-ada', shipmentId: 'shp_1', carrier: 'Swiftpost', trackingNumber: 'SW000000042001' };
    await events.publish('order.placed', placed(orderId));
    const dispatched = await events.publish('shipment.dispatched', { ...shipment, trackingUrl: 'https://carrier.example/track/SW000000042001' });
    await events.publish('shipment.dispatched', { ...shipment, trackingUrl: 'https://carrier.example/track/SW000000042001' }, dispatched.eventId);
    await events.publish('shipment.delivered', { ...shipment, deliveredAt: new Date().toISOString() });

    const recorded = await waitFor(async () => delivered(await notificationsOf(notifications.url, orderId), 3), 'the shipping notifications');
    expect(recorded.map((n) => n.type).sort()).toEqual(['ORDER_DELIVERED', 'ORDER_PLACED', 'ORDER_SHIPPED']);
    const { rows } = await notifications.db.query<{ type: string; body: string }>(
      `SELECT type, body FROM notifications.notifications WHERE order_id = $1 AND type = 'ORDER_SHIPPED'`,
      [orderId],
    );
    expect(rows[0]?.body).toContain('https://carrier.example/track/SW000000042001');
    await pause(500);
    expect(await notificationsOf(notifications.url, orderId)).toHaveLength(3);
  });

  it('tells the customer when asked by a call, once per order and fact, and refuses a fact before the contact with 409', async () => {
    const orderId = `ord-${randomUUID()}`;
    const tell = (body: unknown) =>
      fetch(`${notifications.url}/notifications`, { method: 'POST', headers: { ...serviceAuth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const early = await tell({ type: 'order.confirmed', data: confirmed(orderId) });
    expect(early.status).toBe(409);

    const first = await tell({ type: 'order.placed', data: placed(orderId) });
    expect([first.status, await first.json()]).toEqual([201, { orderId, type: 'order.placed', stored: true }]);
    const again = await tell({ type: 'order.placed', data: placed(orderId) });
    expect([again.status, await again.json()]).toEqual([200, { orderId, type: 'order.placed', stored: false }]);
    expect((await tell({ type: 'order.confirmed', data: confirmed(orderId) })).status).toBe(201);

    const told = await waitFor(async () => delivered(await notificationsOf(notifications.url, orderId), 2), 'both notifications');
    expect(told.map((n) => n.type).sort()).toEqual(['ORDER_CONFIRMED', 'ORDER_PLACED']);
  });

  it('answers a call with a fact it does not tell, or data the event catalog refuses, with 400 VALIDATION_FAILED', async () => {
    const tell = (body: unknown) =>
      fetch(`${notifications.url}/notifications`, { method: 'POST', headers: { ...serviceAuth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await tell({ type: 'order.paid', data: {} })).status).toBe(400);
    const bad = await tell({ type: 'order.placed', data: { ...placed('ord-x'), email: 'not an address' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'data.email' }] } });
  });

  it('answers GET /notifications without an orderId with 400 VALIDATION_FAILED', async () => {
    const response = await fetch(`${notifications.url}/notifications`, { headers: serviceAuth });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'VALIDATION_FAILED', message: anyString, details: [{ path: 'orderId', message: anyString }] },
    });
  });
});

interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
}

/**
 * A small SMTP server speaking just enough of RFC 5321 for a client to hand over mail; it refuses recipients
 * at bounce.example so that a delivery failure can be observed.
 */
async function startSmtpServer(): Promise<{ url: string; received: ReceivedMail[]; close: () => Promise<void> }> {
  const received: ReceivedMail[] = [];
  const server: Server = createServer((socket) => {
    let buffer = '';
    let mail: ReceivedMail = { from: '', to: [], data: '' };
    let inData = false;
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 test-smtp ready');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            received.push(mail);
            mail = { from: '', to: [], data: '' };
            reply('250 queued');
          } else {
            mail.data += `${line.startsWith('..') ? line.slice(1) : line}\n`;
          }
          continue;
        }
        const command = line.slice(0, 4).toUpperCase();
        if (command === 'EHLO' || command === 'HELO') reply('250 test-smtp');
        else if (command === 'MAIL') {
          mail.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 ok');
        } else if (command === 'RCPT') {
          const to = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (to.endsWith('@bounce.example')) reply('550 no such mailbox');
          else {
            mail.to.push(to);
            reply('250 ok');
          }
        } else if (command === 'DATA') {
          inData = true;
          reply('354 end with <CRLF>.<CRLF>');
        } else if (command === 'RSET') {
          mail = { from: '', to: [], data: '' };
          reply('250 ok');
        } else if (command === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('250 ok');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('notifications with SMTP configured', () => {
  const exchange = `test.notifications-smtp.${randomUUID().slice(0, 8)}`;
  let notifications: RunningNotifications;
  let events: OrderEvents;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    events = await OrderEvents.open(exchange);
    notifications = await startNotifications(
      testConfig(exchange, { SMTP_URL: smtp.url, NOTIFICATIONS_FROM: 'shop@ensemble.test' }),
      log,
    );
  });
  afterAll(async () => {
    await notifications?.stop();
    await events?.close();
    await smtp?.close();
    await deleteTopology(infrastructure.amqpUrl, exchange, notifications ? [notifications.queue] : [], RETRY_DELAYS);
  });

  it('sends the email after the notification is stored, and records it as sent', async () => {
    const orderId = `ord-${randomUUID()}`;
    await events.publish('order.placed', placed(orderId, 'linus@example.com'));

    const [notification] = await waitFor(async () => delivered(await notificationsOf(notifications.url, orderId), 1), 'delivery');
    expect(notification).toMatchObject({ type: 'ORDER_PLACED', channel: 'email', to: 'linus@example.com', delivery: 'sent' });
    expect(notification!.sentAt).toEqual(isoTimestamp);
    const mail = smtp.received.find((message) => message.data.includes(orderId));
    expect(mail).toMatchObject({ from: 'shop@ensemble.test', to: ['linus@example.com'] });
    expect(mail!.data).toMatch(/Subject: We received your order/);
    expect(mail!.data).toContain('$25.00');
  });

  it('marks a refused delivery with its error and keeps it for a bounded number of retries', async () => {
    const orderId = `ord-${randomUUID()}`;
    await events.publish('order.placed', placed(orderId, 'nobody@bounce.example'));

    const row = await waitFor(async () => {
      const { rows } = await notifications.db.query<{ delivery: string; attempts: number; last_error: string | null }>(
        'SELECT delivery, attempts, last_error FROM notifications.notifications WHERE order_id = $1',
        [orderId],
      );
      return rows[0]?.last_error ? rows[0] : undefined;
    }, 'the failed attempt');
    expect(row).toMatchObject({ delivery: 'pending', attempts: 1, last_error: mentionsRefusal });
    const [notification] = await notificationsOf(notifications.url, orderId);
    expect(notification).toMatchObject({ delivery: 'pending', sentAt: null });
  });
});
