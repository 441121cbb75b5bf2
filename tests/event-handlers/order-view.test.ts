// Order view specification: each order's row from its events through the real broker, whatever their order and however often; list, rebuild.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { IntegrationEvent } from '../../platform/events/catalog.js';
import { createLogger } from '../../platform/logger.js';
import { connectBroker, type Broker } from '../../platform/messaging/broker.js';
import { createEventPublisher, type EventPublisher } from '../../platform/messaging/publisher.js';
import { startOrderView, type RunningOrderView } from '../../event-handlers/order-view/index.js';
import { createOrderViewStore, ORDER_VIEW_SCHEMA } from '../../event-handlers/order-view/store.js';
import { factOf, foldOrder } from '../../event-handlers/order-view/story.js';
import { deleteTopology, testConfig, waitFor } from '../support/broker.js';
import { storeBackends } from '../support/backends.js';
import { expectedAtEnd, orderStory, storyEnds, type StoryEnd } from '../support/order-stories.js';
import { serviceAuth } from '../support/secrets.js';

const infrastructure = inject('infrastructure');
const log = createLogger('order-view-test', 'silent');
const RETRY_DELAYS = [100, 200];

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { headers: serviceAuth });
  return { status: response.status, body: await response.json() };
}

/** The row the view should answer for a story: the fold of its events in the order they happened. */
function expectedRow(events: IntegrationEvent[]) {
  const { inventory, ...row } = foldOrder(events.map((event) => factOf(event)!))!;
  const { answeredAt: _answeredAt, ...answered } = inventory;
  return { ...row, inventory: answered };
}

/** Reversed, with the first and last events delivered twice: later facts come first, and some come again. */
const scrambled = (events: IntegrationEvent[]) => [events.at(-1)!, ...[...events].reverse(), events[0]!];

describe.each(storeBackends())('the order view on $name', (backend) => {
  const exchange = `test.order-view.${randomUUID().slice(0, 8)}`;
  let view: RunningOrderView;
  let broker: Broker;
  let publisher: EventPublisher;
  let release: () => Promise<void>;
  const customerId = `cust-${randomUUID().slice(0, 8)}`;
  const stories = new Map<string, { end: StoryEnd; events: IntegrationEvent[] }>();

  beforeAll(async () => {
    const store = await backend.open('order-view-test');
    // The view opens its own connection to the fresh database; this one is closed (and the database dropped) by release.
    release = store.release;
    view = await startOrderView(
      testConfig(infrastructure, {
        EVENTS_EXCHANGE: exchange,
        CONSUMER_RETRY_DELAYS_MS: RETRY_DELAYS.join(','),
        INVENTORY_SLOW_AFTER: '1h',
        ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
      }),
      log,
    );
    broker = await connectBroker(infrastructure.amqpUrl, log, 'order-view-test');
    publisher = createEventPublisher(broker, log, { exchange, confirmTimeoutMs: 10_000 });
  });

  afterAll(async () => {
    await publisher?.close();
    await broker?.close();
    await view?.stop();
    await release?.();
    await deleteTopology(infrastructure.amqpUrl, exchange, view ? [view.queue, view.stream] : [], RETRY_DELAYS);
  });

  it('answers only to the platform\'s components', async () => {
    expect((await fetch(`${view.url}/orders/${randomUUID()}`)).status).toBe(401);
    expect((await fetch(`${view.url}/health`)).status).toBe(200);
    expect((await fetch(`${view.url}/ready`)).status).toBe(200);
  });

  it.each(storyEnds)('shows an order that ended %s, from its events reversed and duplicated', async (end) => {
    const orderId = randomUUID();
    const events = orderStory(orderId, end, { customerId, start: new Date(Date.UTC(2026, 0, 1, 10, stories.size)) });
    stories.set(orderId, { end, events });
    for (const event of scrambled(events)) await publisher.publish(event);

    const expected = expectedRow(events);
    // Still waiting on inventory since its story began (months ago): the watchdog's flag, computed when read, says so.
    const slow = end === 'awaiting-inventory' ? { slow: true } : {};
    const want = JSON.parse(JSON.stringify({ ...expected, inventory: { ...expected.inventory, ...slow } })) as unknown;
    // The whole row, not one field: the view applies an order's events concurrently, so the newest event's time
    // (asOf) can be in place while an older one (the payment's awaitingSince) is still being applied.
    let seen: unknown;
    const answer = await waitFor(async () => {
      const { status, body } = await getJson(`${view.url}/orders/${orderId}`);
      seen = body;
      return status === 200 && isDeepStrictEqual(body, want) ? body : undefined;
    }, `the view of order ${orderId}`).catch((error: unknown) => {
      expect(seen).toEqual(want);
      throw error;
    });
    const atEnd = expectedAtEnd[end];
    expect([answer.status, answer.reason, answer.payment.status, answer.inventory.status, answer.shipment.status]).toEqual([
      atEnd.status, atEnd.reason, atEnd.payment, atEnd.inventory, atEnd.shipment,
    ]);
  });

  it('names the lines of an order placed before the view by their sku', async () => {
    const orderId = randomUUID();
    const events = orderStory(orderId, 'confirmed', { customerId: 'cust-legacy', legacyPlacement: true });
    for (const event of events) await publisher.publish(event);
    const answer = await waitFor(async () => {
      const { body } = await getJson(`${view.url}/orders/${orderId}`);
      return body.status === 'CONFIRMED' ? body : undefined;
    }, 'the legacy order');
    expect(answer.lines.map((line: { name: string }) => line.name)).toEqual(['MUG-LOGO', 'TEE-BLK-M']);
    expect(answer.createdAt).toBe(events[0]!.occurredAt);
  });

  it('lists a customer\'s orders newest first, filtered by status, a page at a time', async () => {
    const all = await getJson(`${view.url}/orders?customerId=${customerId}&limit=100`);
    expect(all.body.orders.map((order: { orderId: string }) => order.orderId)).toEqual(
      [...stories.entries()].sort(([, a], [, b]) => b.events[0]!.occurredAt.localeCompare(a.events[0]!.occurredAt)).map(([orderId]) => orderId),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { orders: { orderId: string }[]; nextCursor: string | null } } = await getJson(
        `${view.url}/orders?customerId=${customerId}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.orders.map((order) => order.orderId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.orders.map((order: { orderId: string }) => order.orderId));

    const cancelled = await getJson(`${view.url}/orders?customerId=${customerId}&status=CANCELLED`);
    expect(cancelled.body.orders).toHaveLength(3);
    expect((await getJson(`${view.url}/orders?cursor=not-a-cursor`)).status).toBe(400);
  });

  it('rebuilds from its history stream into the same view it built live', async () => {
    const live = await createOrderViewStore(view.db).allOrders();
    expect(live.length).toBeGreaterThanOrEqual(storyEnds.length);
    // Damage the live view: rows and facts lost, one row wrong. The rebuild must not depend on any of it.
    await view.db.query(`DELETE FROM ${ORDER_VIEW_SCHEMA}.facts WHERE type IN ('order.paid', 'shipment.delivered')`);
    await view.db.query(`DELETE FROM ${ORDER_VIEW_SCHEMA}.orders WHERE status = 'CANCELLED'`);
    await view.db.query(`UPDATE ${ORDER_VIEW_SCHEMA}.orders SET body = jsonb_set(body, '{status}', '"REJECTED"') WHERE status = 'CONFIRMED'`);

    const response = await fetch(`${view.url}/rebuild`, { method: 'POST', headers: serviceAuth });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { replayed: number; orders: number };
    expect(result.orders).toBe(live.length);
    expect(result.replayed).toBeGreaterThanOrEqual(live.length);
    expect(await createOrderViewStore(view.db).allOrders()).toEqual(live);
  });

  it('runs one rebuild at a time across the instances sharing its store, and takes over a claim left by a dead one', async () => {
    // Another instance's rebuild in progress: refused with 409.
    await view.db.query(`INSERT INTO ${ORDER_VIEW_SCHEMA}.rebuild_claim (id, claimed_at) VALUES (1, now())`);
    const refused = await fetch(`${view.url}/rebuild`, { method: 'POST', headers: serviceAuth });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('REBUILD_IN_PROGRESS');
    // A claim older than a rebuild may take: its rebuild died, and this one goes ahead.
    await view.db.query(`UPDATE ${ORDER_VIEW_SCHEMA}.rebuild_claim SET claimed_at = now() - interval '1 day'`);
    expect((await fetch(`${view.url}/rebuild`, { method: 'POST', headers: serviceAuth })).status).toBe(200);
    expect((await view.db.query(`SELECT 1 FROM ${ORDER_VIEW_SCHEMA}.rebuild_claim`)).rowCount).toBe(0);
  });
});
