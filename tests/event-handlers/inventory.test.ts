// Inventory specification: reservations all-or-nothing, exactly once, never below zero; commit, release, catalog writes and snapshots.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../platform/config.js';
import { createEvent, type EventData, type EventType, type IntegrationEvent } from '../../platform/events/catalog.js';
import { createLogger } from '../../platform/logger.js';
import { connectBroker, type Broker } from '../../platform/messaging/broker.js';
import { transactional } from '../../platform/messaging/inbox-outbox.js';
import { createEventPublisher, type EventPublisher } from '../../platform/messaging/publisher.js';
import { declareEventsExchange } from '../../platform/messaging/topology.js';
import { openDatabase, type Database } from '../../platform/store/database.js';
import { migrate } from '../../platform/store/migrations.js';
import { demoCatalog } from '../../event-handlers/inventory/demo-catalog.js';
import { inventoryReactions } from '../../event-handlers/inventory/handlers.js';
import { dispatchTo } from '../../platform/messaging/event-handler.js';
import { startInventory, type RunningInventory } from '../../event-handlers/inventory/index.js';
import { INVENTORY_SCHEMA, createInventoryStore, inventoryMigrations } from '../../event-handlers/inventory/store.js';
import { createTestDatabase } from '../support/databases.js';
import { deleteTopology, testConfig as sharedTestConfig, waitFor } from '../support/broker.js';
import { serviceAuth } from '../support/secrets.js';

const infrastructure = inject('infrastructure');
const log = createLogger('inventory-test', 'silent');
const RETRY_DELAYS = [200, 400];

const uniqueSku = (name: string) => `${name}-${randomUUID().slice(0, 8)}`.toUpperCase();

function testConfig(exchange: string, overrides: Record<string, string> = {}): Config {
  return sharedTestConfig(infrastructure, {
    EVENTS_EXCHANGE: exchange,
    SEED_DEMO_CATALOG: 'false',
    CONSUMER_RETRY_DELAYS_MS: RETRY_DELAYS.join(','),
    CONSUMER_MAX_ATTEMPTS: '10',
    ...overrides,
  });
}

/** Publishes events as the order workflow would, and records every event seen on the exchange. */
class EventBench {
  readonly seen: IntegrationEvent[] = [];
  private observer?: ChannelWrapper;
  private constructor(
    readonly exchange: string,
    private readonly broker: Broker,
    readonly publisher: EventPublisher,
  ) {}

  static async open(exchange: string): Promise<EventBench> {
    const broker = await connectBroker(infrastructure.amqpUrl, log, 'inventory-test');
    const bench = new EventBench(exchange, broker, createEventPublisher(broker, log, { exchange, confirmTimeoutMs: 10_000 }));
    const queue = `${exchange}.observer`;
    bench.observer = broker.createChannel('observer', async (channel) => {
      await declareEventsExchange(channel, exchange);
      await channel.assertQueue(queue, { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, exchange, '#');
    });
    await bench.observer.consume(queue, (message) => {
      bench.seen.push(JSON.parse(message.content.toString('utf8')) as IntegrationEvent);
      bench.observer!.ack(message);
    });
    await bench.observer.waitForConnect();
    return bench;
  }

  async publish<T extends EventType>(type: T, data: EventData<T>, eventId = `${type}:${randomUUID()}`, orderId?: string) {
    const event = createEvent(type, data, { eventId, correlationId: orderId ?? eventId, ...(orderId ? { orderId } : {}) });
    await this.publisher.publish(event as IntegrationEvent);
    return event;
  }

  ofType<T extends EventType>(type: T, where: (event: IntegrationEvent<T>) => boolean = () => true): IntegrationEvent<T>[] {
    return (this.seen.filter((event) => event.type === type) as IntegrationEvent<T>[]).filter(where);
  }

  waitForEvent<T extends EventType>(type: T, where: (event: IntegrationEvent<T>) => boolean, what = type): Promise<IntegrationEvent<T>> {
    return waitFor(() => this.ofType(type, where)[0], what);
  }

  async close(): Promise<void> {
    await this.observer?.close();
    await this.publisher.close();
    await this.broker.close();
  }
}


/** Every field the inventory HTTP surface answers with, loosely: each test reads the ones it asserts on. */
interface ResponseBody {
  error?: { code: string; message: string; details?: { path: string; message: string }[] };
  products?: { sku: string; active: boolean; revision: number; available: number }[];
  reservations?: { sku: string; quantity: number; status: string }[];
  outcome?: string | null;
  [field: string]: unknown;
}

async function http(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: ResponseBody }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? serviceAuth : { ...serviceAuth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ResponseBody };
}

const paid = (orderId: string, lines: { sku: string; quantity: number }[]): EventData<'order.paid'> => ({
  orderId,
  customerId: 'cust-1',
  lines,
  total: 1000,
  currency: 'USD',
  authorizationId: `auth-${orderId}`,
});

describe('inventory, driven by real events over RabbitMQ', () => {
  const exchange = `test.inventory.${randomUUID().slice(0, 8)}`;
  let inventory: RunningInventory;
  let bench: EventBench;
  const put = (sku: string, body: unknown) => http(inventory.url, 'PUT', `/products/${sku}`, body);
  const get = (path: string) => http(inventory.url, 'GET', path);

  beforeAll(async () => {
    bench = await EventBench.open(exchange);
    inventory = await startInventory(testConfig(exchange), log);
  });

  afterAll(async () => {
    await inventory?.stop();
    await bench?.close();
    await deleteTopology(infrastructure.amqpUrl, exchange, inventory ? [inventory.queue] : [], RETRY_DELAYS);
  });

  it('reserves an order in stock: inventory.reserved, and product-updated with the new availability', async () => {
    const sku = uniqueSku('tee');
    expect((await put(sku, { name: 'Tee', price: 1999, available: 5 })).status).toBe(200);
    const orderId = `ord-${randomUUID()}`;
    const event = await bench.publish('order.paid', paid(orderId, [{ sku, quantity: 2 }]), undefined, orderId);

    const reserved = await bench.waitForEvent('inventory.reserved', (e) => e.data.orderId === orderId);
    expect(reserved).toMatchObject({
      eventId: `${event.eventId}:inventory.reserved`,
      orderId,
      correlationId: event.correlationId,
      causationId: event.eventId,
      data: { orderId, lines: [{ sku, quantity: 2 }] },
    });
    const update = await bench.waitForEvent('catalog.product-updated', (e) => e.data.sku === sku && e.data.revision === 2);
    expect(update.data).toMatchObject({ available: 3, price: 1999, currency: 'USD', active: true });
    expect((await get(`/products/${sku}`)).body).toMatchObject({ available: 3, onHand: 5, reserved: 2, revision: 2 });
    expect((await get(`/reservations?orderId=${orderId}`)).body).toEqual({
      orderId,
      outcome: 'RESERVED',
      reservations: [{ sku, quantity: 2, status: 'RESERVED' }],
    });
  });

  it('rejects an order it cannot fill completely, naming the shortages, and leaves stock unchanged', async () => {
    const plenty = uniqueSku('plenty');
    const scarce = uniqueSku('scarce');
    const unknown = uniqueSku('unknown');
    await put(plenty, { name: 'Plenty', price: 100, available: 10 });
    await put(scarce, { name: 'Scarce', price: 100, available: 1 });
    const orderId = `ord-${randomUUID()}`;
    await bench.publish('order.paid', paid(orderId, [{ sku: plenty, quantity: 1 }, { sku: scarce, quantity: 3 }, { sku: unknown, quantity: 1 }]));

    const rejected = await bench.waitForEvent('inventory.rejected', (e) => e.data.orderId === orderId);
    expect(rejected.data.reason).toBe('OUT_OF_STOCK');
    expect(rejected.data.shortages).toEqual(
      expect.arrayContaining([
        { sku: scarce, requested: 3, available: 1 },
        { sku: unknown, requested: 1, available: 0 },
      ]),
    );
    expect(rejected.data.shortages).toHaveLength(2);
    expect((await get(`/products/${plenty}`)).body).toMatchObject({ available: 10, reserved: 0, revision: 1 });
    expect((await get(`/products/${scarce}`)).body).toMatchObject({ available: 1, reserved: 0, revision: 1 });
    expect((await get(`/reservations?orderId=${orderId}`)).body).toMatchObject({ outcome: 'REJECTED', reservations: [] });
  });

  it('reserves once when the same order.paid is delivered twice, and answers a re-sent payment with the same outcome', async () => {
    const sku = uniqueSku('twice');
    await put(sku, { name: 'Twice', price: 100, available: 5 });
    const orderId = `ord-${randomUUID()}`;
    const event = await bench.publish('order.paid', paid(orderId, [{ sku, quantity: 2 }]), `order.paid:${orderId}`, orderId);
    await bench.publisher.publish(event);
    await bench.waitForEvent('inventory.reserved', (e) => e.data.orderId === orderId);

    // The same fact under another id (a producer that lost its id): no second reservation, the same answer again.
    await bench.publish('order.paid', paid(orderId, [{ sku, quantity: 2 }]), `order.paid:${orderId}:again`, orderId);
    await waitFor(() => bench.ofType('inventory.reserved', (e) => e.data.orderId === orderId).length === 2 || undefined, 'the re-emitted outcome');
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(bench.ofType('inventory.reserved', (e) => e.data.orderId === orderId).map((e) => e.data.lines)).toEqual([
      [{ sku, quantity: 2 }],
      [{ sku, quantity: 2 }],
    ]);
    expect((await get(`/products/${sku}`)).body).toMatchObject({ available: 3, reserved: 2 });
  });

  it('gives the last unit to exactly one of two racing orders', async () => {
    const sku = uniqueSku('last');
    await put(sku, { name: 'Last one', price: 100, available: 1 });
    const orders = [`ord-${randomUUID()}`, `ord-${randomUUID()}`];
    await Promise.all(orders.map((orderId) => bench.publish('order.paid', paid(orderId, [{ sku, quantity: 1 }]))));

    const outcomes = await waitFor(() => {
      const decided = orders.map(
        (orderId) =>
          bench.ofType('inventory.reserved', (e) => e.data.orderId === orderId)[0]?.type ??
          bench.ofType('inventory.rejected', (e) => e.data.orderId === orderId)[0]?.type,
      );
      return decided.every(Boolean) ? decided.sort() : undefined;
    }, 'both outcomes');
    expect(outcomes).toEqual(['inventory.rejected', 'inventory.reserved']);
    expect((await get(`/products/${sku}`)).body).toMatchObject({ available: 0, onHand: 1, reserved: 1 });
  });

  it('commits the reservation when the order is confirmed: the units leave on-hand, availability unchanged', async () => {
    const sku = uniqueSku('commit');
    await put(sku, { name: 'Commit', price: 100, available: 4 });
    const orderId = `ord-${randomUUID()}`;
    await bench.publish('order.paid', paid(orderId, [{ sku, quantity: 3 }]));
    await bench.waitForEvent('inventory.reserved', (e) => e.data.orderId === orderId);
    await bench.publish('order.confirmed', { orderId, customerId: 'cust-1', lines: [{ sku, quantity: 3 }], total: 300, currency: 'USD' });

    await waitFor(async () => ((await get(`/reservations?orderId=${orderId}`)).body.reservations?.[0]?.status === 'COMMITTED' ? true : undefined), 'commit');
    expect((await get(`/products/${sku}`)).body).toMatchObject({ available: 1, onHand: 1, reserved: 0, revision: 2 });
  });

  it('retries a confirmation that overtook its payment event, and commits once the payment arrives', async () => {
    const sku = uniqueSku('early');
    await put(sku, { name: 'Early', price: 100, available: 4 });
    const orderId = `ord-${randomUUID()}`;
    await bench.publish('order.confirmed', { orderId, customerId: 'cust-1', lines: [{ sku, quantity: 1 }], total: 100, currency: 'USD' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await bench.publish('order.paid', paid(orderId, [{ sku, quantity: 1 }]));

    await waitFor(async () => ((await get(`/reservations?orderId=${orderId}`)).body.reservations?.[0]?.status === 'COMMITTED' ? true : undefined), 'commit');
    expect((await get(`/products/${sku}`)).body).toMatchObject({ available: 3, onHand: 3, reserved: 0 });
  });

  it('releases the reservation when the order is cancelled, and announces the restored availability', async () => {
    const sku = uniqueSku('release');
    await put(sku, { name: 'Release', price: 100, available: 4 });
    const orderId = `ord-${randomUUID()}`;
    await bench.publish('order.paid', paid(orderId, [{ sku, quantity: 4 }]));
    await bench.waitForEvent('catalog.product-updated', (e) => e.data.sku === sku && e.data.available === 0);
    await bench.publish('order.cancelled', { orderId, customerId: 'cust-1', lines: [{ sku, quantity: 4 }], reason: 'INVENTORY_TIMEOUT' });

    const update = await bench.waitForEvent('catalog.product-updated', (e) => e.data.sku === sku && e.data.revision === 3);
    expect(update.data.available).toBe(4);
    expect((await get(`/reservations?orderId=${orderId}`)).body.reservations).toEqual([{ sku, quantity: 4, status: 'RELEASED' }]);
    expect((await get(`/products/${sku}`)).body).toMatchObject({ available: 4, onHand: 4, reserved: 0 });
  });

  it('does not reserve for an order whose cancellation arrived before its payment', async () => {
    const sku = uniqueSku('late');
    await put(sku, { name: 'Late', price: 100, available: 2 });
    const orderId = `ord-${randomUUID()}`;
    await bench.publish('order.cancelled', { orderId, customerId: 'cust-1', lines: [{ sku, quantity: 1 }], reason: 'CUSTOMER_REQUEST' });
    await waitFor(async () => ((await get(`/reservations?orderId=${orderId}`)).body.outcome === 'CANCELLED_BEFORE_PAYMENT' ? true : undefined), 'cancel');
    await bench.publish('order.paid', paid(orderId, [{ sku, quantity: 1 }]));
    await new Promise((resolve) => setTimeout(resolve, 700));

    expect((await get(`/reservations?orderId=${orderId}`)).body.reservations).toEqual([]);
    expect((await get(`/products/${sku}`)).body).toMatchObject({ available: 2, reserved: 0 });
  });

  it('keeps units reserved by orders in flight when the owner rewrites a product', async () => {
    const sku = uniqueSku('rewrite');
    await put(sku, { name: 'Rewrite', price: 100, available: 5 });
    const orderId = `ord-${randomUUID()}`;
    await bench.publish('order.paid', paid(orderId, [{ sku, quantity: 2 }]));
    await bench.waitForEvent('inventory.reserved', (e) => e.data.orderId === orderId);

    const written = await put(sku, { name: 'Rewritten', price: 150, available: 10, active: false });
    expect(written).toEqual({
      status: 200,
      body: { sku, name: 'Rewritten', price: 150, currency: 'USD', available: 10, active: false, revision: 3 },
    });
    expect((await get(`/products/${sku}`)).body).toMatchObject({ onHand: 12, reserved: 2 });
    const update = await bench.waitForEvent('catalog.product-updated', (e) => e.data.sku === sku && e.data.revision === 3);
    expect(update.data).toMatchObject({ name: 'Rewritten', price: 150, available: 10, active: false });
  });

  it('offers the same work as calls: a reservation answered in the response (and again, unchanged, when asked twice), then a commit; no order event is told', async () => {
    const sku = uniqueSku('call');
    await put(sku, { name: 'Call', price: 100, available: 3 });
    const orderId = `ord-${randomUUID()}`;
    const reserve = () => http(inventory.url, 'POST', `/orders/${orderId}/reservation`, { lines: [{ sku, quantity: 1 }, { sku, quantity: 1 }] });
    const first = await reserve();
    expect(first).toEqual({ status: 200, body: { orderId, outcome: 'RESERVED', lines: [{ sku, quantity: 2 }] } });
    // A retried call (the activity's) gets the first answer and reserves nothing more.
    expect((await reserve()).body).toEqual(first.body);
    expect((await get(`/products/${sku}`)).body).toMatchObject({ available: 1, onHand: 3, reserved: 2 });
    // Replicas still learn the new availability by event.
    await bench.waitForEvent('catalog.product-updated', (e) => e.data.sku === sku && e.data.available === 1);

    expect(await http(inventory.url, 'POST', `/orders/${orderId}/reservation/commit`, {})).toEqual({ status: 200, body: { orderId, status: 'COMMITTED' } });
    expect((await http(inventory.url, 'POST', `/orders/${orderId}/reservation/commit`, {})).status).toBe(200);
    expect((await get(`/products/${sku}`)).body).toMatchObject({ available: 1, onHand: 1, reserved: 0 });

    const short = await http(inventory.url, 'POST', `/orders/ord-${randomUUID()}/reservation`, { lines: [{ sku, quantity: 5 }] });
    expect(short.body).toMatchObject({ outcome: 'REJECTED', shortages: [{ sku, requested: 5, available: 1 }] });
    // The caller has its answer: no inventory.reserved or inventory.rejected is published for a call.
    expect(bench.seen.filter((e) => e.type.startsWith('inventory.') && (e.data as { orderId?: string }).orderId === orderId)).toEqual([]);
  });

  it('refuses a commit of stock never reserved with 409, and a malformed reservation with 400 naming the field', async () => {
    const never = await http(inventory.url, 'POST', `/orders/ord-${randomUUID()}/reservation/commit`, {});
    expect(never.status).toBe(409);
    expect(never.body).toMatchObject({ error: { code: 'CONFLICT' } });
    const bad = await http(inventory.url, 'POST', `/orders/ord-1/reservation`, { lines: [{ sku: 'X', quantity: 0 }] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: [{ path: 'lines.0.quantity' }] } });
  });

  it('answers an invalid product write with 400 VALIDATION_FAILED naming each field', async () => {
    const response = await put('ANY-SKU', { name: '', price: 12.5, available: -1, colour: 'red' });
    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe('VALIDATION_FAILED');
    expect(typeof response.body.error?.message).toBe('string');
    const details = response.body.error?.details ?? [];
    expect(details.map((detail) => detail.path).sort()).toEqual(['available', 'colour', 'name', 'price']);
    for (const detail of details) expect(typeof detail.message).toBe('string');
    expect((await get('/products/ANY-SKU')).status).toBe(404);
    expect((await get('/products/ANY-SKU')).body.error?.code).toBe('NOT_FOUND');
    expect((await get('/reservations')).body.error?.code).toBe('VALIDATION_FAILED');
  });

  it('re-emits the whole catalog on a snapshot request, under ids a fresh replica has not seen', async () => {
    const skus = ((await get('/products')).body.products ?? []).map((product) => product.sku);
    expect(skus.length).toBeGreaterThan(0);
    const request = await bench.publish('catalog.snapshot-requested', { requestedBy: 'test-replica' });

    const snapshot = await waitFor(() => {
      const answers = bench.ofType('catalog.product-updated', (e) => e.causationId === request.eventId);
      return answers.length >= skus.length ? answers : undefined;
    }, 'the snapshot');
    expect(snapshot.map((event) => event.data.sku).sort()).toEqual([...skus].sort());
    for (const event of snapshot) expect(event.eventId).toBe(`${request.eventId}:${event.data.sku}`);
  });
});

describe('demo catalog', () => {
  it('is seeded once, on the first start of an empty store, and a second start changes nothing', async () => {
    const exchange = `test.inventory-seed.${randomUUID().slice(0, 8)}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'inventory-seed-'));
    const config = testConfig(exchange, { DATA_DIR: dataDir, SEED_DEMO_CATALOG: 'true' });
    const bench = await EventBench.open(exchange);
    let queue: string | undefined;
    try {
      const first = await startInventory(config, log);
      queue = first.queue;
      const seeded = (await http(first.url, 'GET', '/products')).body.products ?? [];
      expect(seeded.map((product) => product.sku).sort()).toEqual(demoCatalog.map((product) => product.sku).sort());
      expect(seeded.find((product) => product.sku === 'CAP-RED')?.active).toBe(false);
      await waitFor(() => (bench.ofType('catalog.product-updated').length >= demoCatalog.length ? true : undefined), 'seed events');
      await http(first.url, 'PUT', '/products/MUG-LOGO', { name: 'Logo mug', price: 1250, available: 7 });
      await first.stop();

      const second = await startInventory(config, log);
      const again = (await http(second.url, 'GET', '/products')).body.products ?? [];
      expect(again).toHaveLength(demoCatalog.length);
      expect(again.find((product) => product.sku === 'MUG-LOGO')).toMatchObject({ available: 7, revision: 2 });
      expect(again.filter((product) => product.sku !== 'MUG-LOGO').every((product) => product.revision === 1)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(bench.ofType('catalog.product-updated')).toHaveLength(demoCatalog.length + 1);
      await second.stop();
    } finally {
      await bench.close();
      await deleteTopology(infrastructure.amqpUrl, exchange, queue ? [queue] : [], RETRY_DELAYS);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** The store-level guarantees, on both engines the component runs on. */
const engines: { name: string; open: () => Promise<{ db: Database; dispose: () => Promise<void> }> }[] = [
  {
    name: 'PGlite',
    open: async () => {
      const db = await openDatabase({ component: 'inventory', dataDir: ':memory:' });
      return { db, dispose: () => db.close() };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const database = await createTestDatabase(infrastructure.postgresUrl);
      const db = await openDatabase({ component: 'inventory', databaseUrl: database.url, dataDir: ':memory:', maxConnections: 20 });
      return {
        db,
        dispose: async () => {
          await db.close();
          await database.drop();
        },
      };
    },
  },
];

describe.each(engines)('inventory store on $name', ({ open }) => {
  let db: Database;
  let dispose: () => Promise<void>;
  const handle = (event: IntegrationEvent) => transactional(db, INVENTORY_SCHEMA, dispatchTo('inventory', inventoryReactions))(event, { attempt: 1, log });
  const paidEvent = (orderId: string, lines: { sku: string; quantity: number }[], eventId = `order.paid:${orderId}`) =>
    createEvent('order.paid', paid(orderId, lines), { eventId, correlationId: orderId, orderId });
  const outboxTypes = async (orderId: string) =>
    (
      await db.query<{ event_type: string }>(
        `SELECT event_type FROM ${INVENTORY_SCHEMA}.outbox WHERE payload->>'orderId' = $1 ORDER BY id`,
        [orderId],
      )
    ).rows.map((row) => row.event_type);
  const stock = async (sku: string) =>
    (await db.query<{ on_hand: number; reserved: number }>(`SELECT on_hand, reserved FROM ${INVENTORY_SCHEMA}.products WHERE sku = $1`, [sku]))
      .rows[0];
  const addProduct = (sku: string, available: number) =>
    db.transaction((tx) => createInventoryStore(tx).upsertProduct(sku, { name: sku, price: 100, available }));

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await migrate(db, INVENTORY_SCHEMA, inventoryMigrations);
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('reserves all lines in one transaction, with the outcome and product updates in the outbox', async () => {
    await addProduct('A-1', 3);
    await addProduct('B-1', 3);
    await handle(paidEvent('o-reserve', [{ sku: 'B-1', quantity: 1 }, { sku: 'A-1', quantity: 2 }, { sku: 'A-1', quantity: 1 }]));
    expect(await stock('A-1')).toEqual({ on_hand: 3, reserved: 3 });
    expect(await stock('B-1')).toEqual({ on_hand: 3, reserved: 1 });
    expect(await outboxTypes('o-reserve')).toEqual(['inventory.reserved']);
    const updates = await db.query<{ event_id: string }>(
      `SELECT event_id FROM ${INVENTORY_SCHEMA}.outbox WHERE event_type = 'catalog.product-updated' AND payload->>'causationId' = $1 ORDER BY event_id`,
      ['order.paid:o-reserve'],
    );
    expect(updates.rows.map((row) => row.event_id)).toEqual(['catalog:A-1:2', 'catalog:B-1:2']);
  });

  it('rejects without touching stock when one line is short, and the same event twice changes nothing', async () => {
    await addProduct('C-1', 1);
    const event = paidEvent('o-short', [{ sku: 'C-1', quantity: 1 }, { sku: 'A-1', quantity: 1 }]);
    await handle(event);
    await handle(event);
    expect(await stock('C-1')).toEqual({ on_hand: 1, reserved: 0 });
    expect(await outboxTypes('o-short')).toEqual(['inventory.rejected']);
  });

  it('never lets racing orders take more than there is: ten orders, three units, three reservations', async () => {
    await addProduct('RACE-1', 3);
    await addProduct('RACE-2', 10);
    const orders = Array.from({ length: 10 }, (_, i) => `o-race-${i}`);
    // Opposite line orders in alternate orders would deadlock without the sku lock order.
    await Promise.all(
      orders.map((orderId, i) =>
        handle(paidEvent(orderId, i % 2 ? [{ sku: 'RACE-1', quantity: 1 }, { sku: 'RACE-2', quantity: 1 }] : [{ sku: 'RACE-2', quantity: 1 }, { sku: 'RACE-1', quantity: 1 }])),
      ),
    );
    const outcomes = (await Promise.all(orders.map(outboxTypes))).flat();
    expect(outcomes.filter((type) => type === 'inventory.reserved')).toHaveLength(3);
    expect(outcomes.filter((type) => type === 'inventory.rejected')).toHaveLength(7);
    expect(await stock('RACE-1')).toEqual({ on_hand: 3, reserved: 3 });
    expect(await stock('RACE-2')).toEqual({ on_hand: 10, reserved: 3 });
  });

  it('refuses at the database level any change that would take stock below zero', async () => {
    await addProduct('FLOOR-1', 1);
    await expect(db.query(`UPDATE ${INVENTORY_SCHEMA}.products SET reserved = reserved + 2 WHERE sku = 'FLOOR-1'`)).rejects.toThrow(/stock_never_negative/);
    await expect(db.query(`UPDATE ${INVENTORY_SCHEMA}.products SET reserved = -1 WHERE sku = 'FLOOR-1'`)).rejects.toThrow(/stock_never_negative/);
  });
});
