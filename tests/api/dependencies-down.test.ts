// When dependencies are down: /ready names them within a time bound, and order routes answer 503 instead of hanging.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp, type ApiDependencies } from '../../api/app.js';
import { apiReadinessProbes } from '../../api/http/readiness.js';
import { API_SCHEMA, apiMigrations, createIdempotencyStore } from '../../api/orders/idempotency-store.js';
import { createOrderWrites } from '../../api/orders/order-writes.js';
import { createCatalogReplicaStore } from '../../catalog-replica/index.js';
import { catalogReplicaMigrations } from '../../catalog-replica/store.js';
import { createLogger } from '../../platform/logger.js';
import { connectBroker, type Broker } from '../../platform/messaging/broker.js';
import { createDeadLetters } from '../../platform/messaging/dead-letters.js';
import { openDatabase, type Database } from '../../platform/store/database.js';
import { migrate } from '../../platform/store/migrations.js';
import { connectTemporalClient } from '../../platform/temporal/connection.js';
import { request, testConfig, validOrder } from '../support/api.js';
import { createTokenVerifier } from '../../api/http/auth.js';
import { TEST_PAYLOAD_KEYS, TEST_SECRETS } from '../support/secrets.js';

const infrastructure = inject('infrastructure');
const log = createLogger('api', 'silent');
const opened: { close: () => Promise<unknown> }[] = [];

let db: Database;

/** The API as startApi wires it, but with the broker and Temporal addresses chosen by the test. */
async function serveApi(options: { amqpUrl: string; temporal: Client }): Promise<string> {
  const config = testConfig(infrastructure, { AMQP_URL: options.amqpUrl });
  const broker: Broker = await connectBroker(config.AMQP_URL, log, 'api-readiness-test');
  opened.push(broker);
  await migrate(db, 'catalog_replica_api_readiness_test', catalogReplicaMigrations);
  const catalog = createCatalogReplicaStore(db, 'catalog_replica_api_readiness_test');
  const deps: ApiDependencies = {
    config,
    log,
    temporal: options.temporal,
    payloadKeys: TEST_PAYLOAD_KEYS,
    idempotency: createIdempotencyStore(db),
    orderWrites: createOrderWrites(db, API_SCHEMA),
    catalog,
    readiness: apiReadinessProbes({ temporal: options.temporal, broker, db }),
    deadLetters: createDeadLetters({ amqpUrl: config.AMQP_URL, managementUrl: config.RABBITMQ_MANAGEMENT_URL, exchange: config.EVENTS_EXCHANGE, log }),
    verifyToken: createTokenVerifier(config),
    serviceToken: TEST_SECRETS.SERVICE_TOKEN,
    limits: { readinessTimeoutMs: 1_000, orderCalls: { placeMs: 1_500, readMs: 1_000 } },
  };
  const server: Server = createServer(createApp(deps));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  opened.push({ close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }) });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  db = await openDatabase({ component: 'api', dataDir: ':memory:' });
  await migrate(db, API_SCHEMA, apiMigrations);
});

afterAll(async () => {
  for (const resource of opened.reverse()) await resource.close();
  await db?.close();
});

describe('GET /ready', () => {
  it('answers 503 NOT_READY naming RabbitMQ when the broker URL points nowhere, while /health stays 200', async () => {
    const temporal = await connectTemporalClient({ address: infrastructure.temporalAddress, namespace: 'default', payloadKeys: TEST_PAYLOAD_KEYS });
    opened.push(temporal.connection);
    const url = await serveApi({ amqpUrl: 'amqp://guest:guest@127.0.0.1:1', temporal });

    const started = Date.now();
    const response = await request(url, 'GET', '/ready');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      error: {
        code: 'NOT_READY',
        message: 'Not ready: rabbitmq is not reachable',
        details: [
          { component: 'temporal', ok: true },
          { component: 'rabbitmq', ok: false, error: 'not connected to RabbitMQ' },
          { component: 'store', ok: true },
        ],
      },
    });
    expect(await request(url, 'GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('names every dependency that is down, within its time bound, when Temporal is unreachable too', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    opened.push(connection);
    const url = await serveApi({ amqpUrl: 'amqp://guest:guest@127.0.0.1:1', temporal: new Client({ connection, namespace: 'default' }) });

    const started = Date.now();
    const response = await request(url, 'GET', '/ready');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response.status).toBe(503);
    expect(response.body.error.message).toBe('Not ready: temporal, rabbitmq are not reachable');
    expect(response.body.error.details.map((check: { component: string; ok: boolean }) => [check.component, check.ok])).toEqual([
      ['temporal', false],
      ['rabbitmq', false],
      ['store', true],
    ]);
    // Why Temporal is down is for the log: the client library's message names hosts and ports.
    expect(response.body.error.details[0].error).toMatch(/^temporal (is not reachable|did not answer within \d+ms)$/);
  });

  it('answers 200 once the broker is reachable', async () => {
    const temporal = await connectTemporalClient({ address: infrastructure.temporalAddress, namespace: 'default', payloadKeys: TEST_PAYLOAD_KEYS });
    opened.push(temporal.connection);
    const url = await serveApi({ amqpUrl: infrastructure.amqpUrl, temporal });
    const deadline = Date.now() + 10_000;
    let response = await request(url, 'GET', '/ready');
    while (response.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      response = await request(url, 'GET', '/ready');
    }
    expect(response).toMatchObject({ status: 200, body: { status: 'ready', checks: { temporal: 'ok', rabbitmq: 'ok', store: 'ok' } } });
  });
});

describe('order routes while Temporal is unreachable', () => {
  it('answer 503 SERVICE_UNAVAILABLE within their deadline instead of hanging', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    opened.push(connection);
    const url = await serveApi({ amqpUrl: infrastructure.amqpUrl, temporal: new Client({ connection, namespace: 'default' }) });

    const started = Date.now();
    const placed = await request(url, 'POST', '/orders', { body: validOrder() });
    expect(placed.status).toBe(503);
    expect(placed.body).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('retry') } });
    const read = await request(url, 'GET', `/orders/${randomUUID()}`);
    expect(read.status).toBe(503);
    expect(read.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('still read an order this API wrote, from its own record, when neither the order view nor Temporal answers', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    opened.push(connection);
    const url = await serveApi({ amqpUrl: infrastructure.amqpUrl, temporal: new Client({ connection, namespace: 'default' }) });
    const orderId = randomUUID();
    const at = new Date().toISOString();
    await createOrderWrites(db, API_SCHEMA).record({
      orderId,
      status: 'CANCELLED',
      reason: 'CUSTOMER_REQUEST',
      customerId: 'cust-own-write',
      lines: [{ sku: 'MUG-001', name: 'Mug', quantity: 1, unitPrice: 500, lineTotal: 500 }],
      total: 500,
      currency: 'EUR',
      payment: { status: 'VOIDED' },
      inventory: { status: 'RELEASED' },
      createdAt: at,
      updatedAt: at,
    });

    const read = await request(url, 'GET', `/orders/${orderId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ orderId, status: 'CANCELLED', reason: 'CUSTOMER_REQUEST', shipment: { status: 'NONE' }, asOf: at });
  });
});
