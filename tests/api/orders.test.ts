// The order routes against a real Temporal server, with a stand-in workflow that speaks the contract (the real one is tested end to end).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readUntil } from '../support/broker.js';
import type { RunningApi } from '../../api/index.js';
import { createIdempotencyStore, customerScopedKey, hashRequest } from '../../api/orders/idempotency-store.js';
import { openDatabase } from '../../platform/store/database.js';
import { request, startTestApi, startTestWorker, testConfig, validOrder, type TestWorker } from '../support/api.js';
import { TEST_UNIT_PRICE, EMAIL_CONFIRM_AND_CLOSE, EMAIL_CONFIRM_AND_WAIT } from '../support/api-test-workflow.js';
import { createTestDatabase } from '../support/databases.js';
import { orderTaskQueue } from '../../workflows/contract.js';


const infrastructure = inject('infrastructure');
let api: RunningApi;
let worker: TestWorker;
let database: { url: string; drop: () => Promise<void> };
const call = (method: string, path: string, options?: Parameters<typeof request>[3]) => request(api.url, method, path, options);
const placeOrder = (body: unknown, key?: string) =>
  call('POST', '/orders', { body, ...(key ? { headers: { 'Idempotency-Key': key } } : {}) });

beforeAll(async () => {
  // A real PostgreSQL store, so the test can look into it as a second API instance would.
  database = await createTestDatabase(infrastructure.postgresUrl);
  const config = testConfig(infrastructure, { DATABASE_URL: database.url });
  api = await startTestApi(config);
  worker = await startTestWorker(infrastructure.temporalAddress, orderTaskQueue(config));
});

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
  await database?.drop();
});

describe('POST /orders', () => {
  it('answers 201 with Location and the verified cart once cart verification is done', async () => {
    const body = validOrder({ items: [{ sku: 'MUG-001', quantity: 2 }, { sku: 'TEA-002', quantity: 1 }] });
    const response = await placeOrder(body);

    expect(response.status).toBe(201);
    const { orderId } = response.body;
    expect(orderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('location')).toBe(`/orders/${orderId}`);
    expect(response.body).toEqual({
      orderId,
      status: 'CART_VERIFIED',
      customerId: body.customerId,
      lines: [
        { sku: 'MUG-001', name: 'Product MUG-001', quantity: 2, unitPrice: TEST_UNIT_PRICE, lineTotal: 2 * TEST_UNIT_PRICE },
        { sku: 'TEA-002', name: 'Product TEA-002', quantity: 1, unitPrice: TEST_UNIT_PRICE, lineTotal: TEST_UNIT_PRICE },
      ],
      total: 3 * TEST_UNIT_PRICE,
      currency: 'EUR',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      links: {
        self: `/orders/${orderId}`,
        temporalUi: `${infrastructure.temporalUiUrl}/namespaces/default/workflows/order-${orderId}`,
      },
    });
  });

  it('says CART_VERIFIED in the 201 even when the workflow has already moved on', async () => {
    const response = await placeOrder(validOrder({ email: EMAIL_CONFIRM_AND_CLOSE }));
    expect(response.status).toBe(201);
    expect(response.body.status).toBe('CART_VERIFIED');
    expect((await call('GET', `/orders/${response.body.orderId}`)).body.status).toBe('CONFIRMED');
  });

  it('answers 422 CART_INVALID naming each refused sku and the rejected order', async () => {
    const response = await placeOrder(validOrder({ items: [{ sku: 'MUG-001', quantity: 1 }, { sku: 'UNKNOWN-9', quantity: 1 }] }));
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      error: {
        code: 'CART_INVALID',
        message: expect.stringContaining('UNKNOWN-9'),
        details: [{ sku: 'UNKNOWN-9', reason: 'UNKNOWN_SKU' }],
        orderId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    });
    const order = await call('GET', `/orders/${response.body.error.orderId}`);
    expect(order.body).toMatchObject({ status: 'REJECTED', reason: 'CART_INVALID' });
  });

  it('without an Idempotency-Key, the same body twice places two orders', async () => {
    const body = validOrder();
    const [first, second] = [await placeOrder(body), await placeOrder(body)];
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(first.body.orderId).not.toBe(second.body.orderId);
  });
});

describe('POST /orders with an Idempotency-Key', () => {
  it('same key and same body: the same order and the very same answer', async () => {
    const key = randomUUID();
    const body = validOrder();
    const first = await placeOrder(body, key);
    const retry = await placeOrder(body, key);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));
  });

  it('the same request with its fields in another order counts as the same request', async () => {
    const key = randomUUID();
    const body = validOrder();
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const first = await placeOrder(body, key);
    const retry = await placeOrder(reordered, key);
    expect(retry.status).toBe(201);
    expect(retry.body.orderId).toBe(first.body.orderId);
  });

  it('same key, other body: 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const key = randomUUID();
    const body = validOrder();
    expect((await placeOrder(body, key)).status).toBe(201);
    const response = await placeOrder({ ...body, items: [{ sku: 'MUG-001', quantity: 3 }] }, key);
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ error: { code: 'IDEMPOTENCY_KEY_REUSED', message: expect.any(String) } });
  });

  it('concurrent requests with one key attach to one workflow and all get the same answer', async () => {
    const key = randomUUID();
    const body = validOrder();
    const responses = await Promise.all(Array.from({ length: 5 }, () => placeOrder(body, key)));
    expect(responses.map((response) => response.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(responses.map((response) => response.body.orderId)).size).toBe(1);
    for (const response of responses) expect(response.body).toEqual(responses[0]!.body);
  });

  it('a rejected cart is answered the same way on retry', async () => {
    const key = randomUUID();
    const body = validOrder({ items: [{ sku: 'UNKNOWN-1', quantity: 1 }] });
    const first = await placeOrder(body, key);
    const retry = await placeOrder(body, key);
    expect(first.status).toBe(422);
    expect(retry.status).toBe(422);
    expect(retry.body).toEqual(first.body);
  });

  it('a retry after the first attempt died before answering continues with the order id it claimed', async () => {
    const key = randomUUID();
    const body = validOrder();
    // What a first API instance leaves behind when it crashes right after claiming the key.
    const db = await openDatabase({ component: 'api', databaseUrl: database.url, dataDir: ':memory:' });
    try {
      const claim = await createIdempotencyStore(db).claim(customerScopedKey(String(body.customerId), key), hashRequest(body));
      expect(claim.kind).toBe('new');
      const retry = await placeOrder(body, key);
      expect(retry.status).toBe(201);
      expect(retry.body.orderId).toBe(claim.orderId);
      expect((await placeOrder(body, key)).body).toEqual(retry.body);
    } finally {
      await db.close();
    }
  });
});

describe('GET /orders/:orderId', () => {
  it("reads the order's state from its workflow while the order view is unreachable", async () => {
    const placed = await placeOrder(validOrder());
    const { orderId } = placed.body;
    const response = await call('GET', `/orders/${orderId}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      orderId,
      status: 'CART_VERIFIED',
      customerId: placed.body.customerId,
      lines: placed.body.lines,
      total: placed.body.total,
      currency: 'EUR',
      payment: { status: 'PENDING' },
      inventory: { status: 'PENDING' },
      shipment: { status: 'NONE', carrier: null, trackingNumber: null },
      createdAt: placed.body.createdAt,
      updatedAt: expect.any(String),
      asOf: expect.any(String),
      links: placed.body.links,
    });
  });
});

describe('POST /orders/:orderId/cancel', () => {
  it('cancels an order that is still cancellable: 200 { orderId, status }', async () => {
    const { orderId } = (await placeOrder(validOrder())).body;
    const response = await call('POST', `/orders/${orderId}/cancel`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ orderId, status: 'CANCELLED' });
  });

  it('answers 409 CANNOT_CANCEL when the workflow refuses (confirmed, still running)', async () => {
    const { orderId } = (await placeOrder(validOrder({ email: EMAIL_CONFIRM_AND_WAIT }))).body;
    const response = await call('POST', `/orders/${orderId}/cancel`);
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ error: { code: 'CANNOT_CANCEL', message: expect.stringContaining('CONFIRMED') } });
  });

  it('answers 409 CANNOT_CANCEL, not 404, when the order has ended and its workflow is closed', async () => {
    const { orderId } = (await placeOrder(validOrder({ email: EMAIL_CONFIRM_AND_CLOSE }))).body;
    const response = await call('POST', `/orders/${orderId}/cancel`);
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('CANNOT_CANCEL');
  });
});

describe('GET /orders (Temporal visibility)', () => {
  const customerId = `cust-list-${randomUUID().slice(0, 8)}`;
  const placed: string[] = [];

  beforeAll(async () => {
    for (const email of ['ada@example.com', 'ada@example.com', EMAIL_CONFIRM_AND_CLOSE]) {
      placed.push((await placeOrder(validOrder({ customerId, email }))).body.orderId);
    }
    await readUntil(
      () => call('GET', `/orders?customerId=${customerId}&limit=100`),
      (response) => response.body.orders?.length === 3 && response.body.orders.some((o: { status: string }) => o.status === 'CONFIRMED'),
    );
  });

  it("lists a customer's orders as summaries", async () => {
    const response = await call('GET', `/orders?customerId=${customerId}`);
    expect(response.status).toBe(200);
    expect(response.body.nextCursor).toBeNull();
    expect(response.body.orders.map((order: { orderId: string }) => order.orderId).sort()).toEqual([...placed].sort());
    const confirmed = response.body.orders.find((order: { orderId: string }) => order.orderId === placed[2]);
    expect(confirmed).toEqual({
      orderId: placed[2],
      status: 'CONFIRMED',
      customerId,
      total: 2 * TEST_UNIT_PRICE,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      links: { self: `/orders/${placed[2]}`, temporalUi: expect.stringContaining(`/workflows/order-${placed[2]}`) },
    });
  });

  it('filters by status', async () => {
    const response = await call('GET', `/orders?customerId=${customerId}&status=CONFIRMED`);
    expect(response.body.orders.map((order: { orderId: string }) => order.orderId)).toEqual([placed[2]]);
  });

  it('pages with limit and an opaque cursor until nextCursor is null', async () => {
    const first = await call('GET', `/orders?customerId=${customerId}&limit=2`);
    expect(first.body.orders).toHaveLength(2);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await call('GET', `/orders?customerId=${customerId}&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    const seen = [...first.body.orders, ...second.body.orders].map((order: { orderId: string }) => order.orderId);
    expect(seen.sort()).toEqual([...placed].sort());
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses a cursor used with another filter than the one it came from', async () => {
    const first = await call('GET', `/orders?customerId=${customerId}&limit=1`);
    const response = await call('GET', `/orders?customerId=someone-else&limit=1&cursor=${first.body.nextCursor}`);
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([{ path: 'cursor', message: expect.stringContaining('not valid') }]);
  });

  it('treats a customer id with quotes as data, not as part of the query', async () => {
    // Identifiers hold no spaces (400 otherwise), so the attempt is written without them.
    const response = await call('GET', `/orders?customerId=${encodeURIComponent(`x'OR(CustomerId!='')OR"\\"!='`)}`);
    expect(response.status).toBe(200);
    expect(response.body.orders).toEqual([]);
  });
});
