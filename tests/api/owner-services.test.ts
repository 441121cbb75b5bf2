// The API in front of the owners: catalog writes go to inventory and come back through the replica; notifications are read from their owner.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningApi } from '../../api/index.js';
import { startInventory, type RunningInventory } from '../../event-handlers/inventory/index.js';
import { startNotifications, type RunningNotifications } from '../../event-handlers/notifications/index.js';
import { createLogger } from '../../platform/logger.js';
import { request, startTestApi, testConfig } from '../support/api.js';
import { readUntil } from '../support/broker.js';
import { adminAuth, serviceAuth } from '../support/secrets.js';

const infrastructure = inject('infrastructure');
let inventory: RunningInventory;
let notifications: RunningNotifications;
let api: RunningApi;
const call = (method: string, path: string, options?: Parameters<typeof request>[3]) => request(api.url, method, path, options);

beforeAll(async () => {
  const base = testConfig(infrastructure, { INVENTORY_PORT: '0', NOTIFICATIONS_PORT: '0', SEED_DEMO_CATALOG: 'true', OUTBOX_POLL_INTERVAL: '100ms' });
  const silent = createLogger('owner', base.LOG_LEVEL);
  inventory = await startInventory(base, silent);
  notifications = await startNotifications(base, silent);
  api = await startTestApi({ ...base, INVENTORY_URL: inventory.url, NOTIFICATIONS_URL: notifications.url });
});

afterAll(async () => {
  await api?.stop();
  await notifications?.stop();
  await inventory?.stop();
});

describe('catalog through the API', () => {
  it("GET /products shows the owner's catalog once the api's replica has received it", async () => {
    const owner = (await request(inventory.url, 'GET', '/products', { headers: serviceAuth })).body.products as { sku: string }[];
    expect(owner.length).toBeGreaterThan(0);
    const response = await readUntil(() => call('GET', '/products'), (r) => r.body.products.length === owner.length);
    expect(response.body.products.map((p: { sku: string }) => p.sku).sort()).toEqual(owner.map((p) => p.sku).sort());
    for (const product of response.body.products) expect(Object.keys(product).sort()).toEqual(['active', 'available', 'currency', 'name', 'price', 'sku']);
  });

  it('PUT /products/:sku is written by inventory and the replica follows, so GET /products/:sku shows it', async () => {
    const sku = `API-${randomUUID().slice(0, 8)}`;
    const written = await call('PUT', `/products/${sku}`, { body: { name: 'Teapot', price: 2_450, available: 7 } });
    expect(written.status).toBe(200);
    expect(written.body).toMatchObject({ sku, name: 'Teapot', price: 2_450, available: 7, active: true, revision: expect.any(Number) });

    const read = await readUntil(() => call('GET', `/products/${sku}`), (r) => r.status === 200);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ sku, name: 'Teapot', price: 2_450, currency: written.body.currency, available: 7, active: true });

    await call('PUT', `/products/${sku}`, { body: { name: 'Teapot', price: 2_450, available: 0, active: false } });
    const updated = await readUntil(() => call('GET', `/products/${sku}`), (r) => r.body.active === false);
    expect(updated.body).toMatchObject({ available: 0, active: false });
  });
});

describe('notifications through the API', () => {
  it('GET /notifications?orderId= relays the owner\'s answer', async () => {
    const response = await call('GET', `/notifications?orderId=${randomUUID()}`);
    expect(response).toMatchObject({ status: 200, body: { notifications: [] } });
  });
});

describe("the owners' surfaces", () => {
  it('refuse anyone without the service credential (an API token included) and answer the API, which holds it', async () => {
    for (const path of [`${inventory.url}/products`, `${inventory.url}/reservations?orderId=x`, `${notifications.url}/notifications?orderId=x`, `${notifications.url}/journal?orderId=x`]) {
      const refused = await fetch(path);
      expect(refused.status, path).toBe(401);
      expect(await refused.json(), path).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('SERVICE_TOKEN') } });
      expect((await fetch(path, { headers: await adminAuth() })).status, path).toBe(401);
      expect((await fetch(path, { headers: serviceAuth })).status, path).toBe(200);
    }
    for (const path of [`${inventory.url}/health`, `${notifications.url}/metrics`]) expect((await fetch(path)).status, path).toBe(200);
  });
});
