// Specification of the carrier stand-in: one parcel per Idempotency-Key, the test addresses, tracking until delivered, the service credential.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { startCarrier, type Carrier } from '../../carrier/server.js';
import { eventually } from '../support/broker.js';
import { createTestDatabase } from '../support/databases.js';
import { serviceAuth, TEST_SECRETS } from '../support/secrets.js';

const log = createLogger('carrier', 'silent');
const { postgresUrl } = inject('infrastructure');

const stores = [
  { name: 'PGlite in memory', prepare: async () => ({ databaseUrl: undefined as string | undefined, cleanup: async () => undefined }) },
  {
    name: 'PostgreSQL',
    prepare: async () => {
      const database = await createTestDatabase(postgresUrl);
      return { databaseUrl: database.url as string | undefined, cleanup: database.drop };
    },
  },
];

const address = (postalCode: string) => ({ name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode, country: 'GB' });

describe.each(stores)('the carrier stand-in on $name', (store) => {
  let carrier: Carrier;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const prepared = await store.prepare();
    cleanup = prepared.cleanup;
    const config = loadConfig({
      ...TEST_SECRETS, CARRIER_PORT: '0', CARRIER_DELIVERY_DELAY: '500ms', DATA_DIR: ':memory:', LOG_LEVEL: 'silent',
      ...(prepared.databaseUrl ? { DATABASE_URL: prepared.databaseUrl } : {}),
    });
    carrier = await startCarrier(config, log);
  });
  afterAll(async () => {
    await carrier?.stop();
    await cleanup?.();
  });

  const book = async (body: unknown, key?: string) => {
    const response = await fetch(`${carrier.url}/shipments`, {
      method: 'POST',
      headers: { ...serviceAuth, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const get = async (path: string, headers: Record<string, string> = serviceAuth) => {
    const response = await fetch(`${carrier.url}${path}`, { headers });
    return { status: response.status, body: (await response.json()) as any };
  };
  const request = (postalCode = 'SW1Y 4JH') => ({ orderId: randomUUID(), address: address(postalCode), lines: [{ sku: 'MUG-LOGO', quantity: 2 }] });

  it('books a parcel once per Idempotency-Key: the same key answers with the same shipment, another body under it is refused', async () => {
    const parcel = request();
    const first = await book(parcel, parcel.orderId);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ orderId: parcel.orderId, carrier: 'Swiftpost', trackingNumber: expect.stringMatching(/^SW\d{12}$/), status: 'IN_TRANSIT', deliveredAt: null });
    expect(first.body.trackingUrl).toBe(`${carrier.url}/track/${first.body.trackingNumber}`);
    expect(first.body).not.toHaveProperty('address');

    expect(await book(parcel, parcel.orderId)).toEqual(first);
    const reused = await book({ ...parcel, lines: [{ sku: 'MUG-LOGO', quantity: 3 }] }, parcel.orderId);
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect((await get(`/shipments?orderId=${parcel.orderId}`)).body.shipments).toHaveLength(1);
  });

  it('reports the parcel delivered after the delivery delay, by id and on the public tracking page', async () => {
    const parcel = request();
    const { body: booked } = await book(parcel, parcel.orderId);
    const delivered = await eventually(async () => {
      const seen = await get(`/shipments/${booked.id}`);
      expect(seen.body.status).toBe('DELIVERED');
      return seen.body;
    }, { timeoutMs: 5_000, intervalMs: 100 });
    expect(Date.parse(delivered.deliveredAt)).toBeGreaterThanOrEqual(Date.parse(booked.createdAt) + 500);
    const tracking = await get(`/track/${booked.trackingNumber}`, {});
    expect(tracking).toEqual({ status: 200, body: { trackingNumber: booked.trackingNumber, carrier: 'Swiftpost', status: 'DELIVERED', deliveredAt: delivered.deliveredAt } });
    expect((await get('/track/SW000000000000', {})).status).toBe(404);
    expect((await get('/shipments/shp_unknown')).status).toBe(404);
  });

  it('FLAKY fails with 503 twice per key and then books; REFUSED is refused with the reason; SLOW answers late', async () => {
    const flaky = request('FLAKY');
    expect((await book(flaky, flaky.orderId)).status).toBe(503);
    expect((await book(flaky, flaky.orderId)).status).toBe(503);
    expect((await book(flaky, flaky.orderId)).status).toBe(201);
    expect((await get(`/shipments?orderId=${flaky.orderId}`)).body.shipments).toHaveLength(1);

    const refused = request('REFUSED');
    const answer = await book(refused, refused.orderId);
    expect(answer).toEqual({
      status: 422,
      body: { error: { code: 'address_refused', message: 'Swiftpost does not deliver to postal code REFUSED in GB.', details: { carrier: 'Swiftpost' } } },
    });
    expect(await book(refused, refused.orderId)).toEqual(answer);

    const slow = request('SLOW');
    const started = Date.now();
    expect((await book(slow, slow.orderId)).status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });

  it('answers only to the service credential (but the tracking page and health), and validates the request', async () => {
    expect((await get('/shipments?orderId=x', {})).status).toBe(401);
    expect((await get('/health', {})).status).toBe(200);
    const missingKey = await book(request());
    expect(missingKey.status).toBe(400);
    expect(missingKey.body.error.code).toBe('idempotency_key_required');
    const invalid = await book({ orderId: 'o', address: { ...address('X'), country: 'gb' }, lines: [] }, randomUUID());
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
  });
});
