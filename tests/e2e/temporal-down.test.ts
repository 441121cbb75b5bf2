// Reads survive the orchestrator's absence: with the Temporal server stopped, orders are read and listed from the order view, writes answer 503, and after a restart every accepted order completes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { findFreePort } from '../../scripts/local-servers/ports.js';
import { silentLog } from '../../scripts/local-servers/server-process.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/local-servers/temporal-dev-server.js';
import { call, createProduct, getOrder, orderRequest, placeOrder, waitForStatus } from '../support/http.js';
import { startStack, type Stack } from '../support/stack.js';

/** This test's own Temporal server, kept in a database file so that it comes back with every workflow it had. */
let temporal: TemporalDevServer | undefined;
let startTemporal: () => Promise<TemporalDevServer>;
let dataDir: string;
let stack: Stack;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ensemble-temporal-down-'));
  const [port, uiPort] = [await findFreePort(), await findFreePort()];
  const cliPath = inject('infrastructure').temporalCliPath;
  startTemporal = () => startTemporalDevServer({ cliPath, port, uiPort, dbFile: join(dataDir, 'temporal.db'), log: silentLog });
  temporal = await startTemporal();
  // A long deadline: an order waiting on inventory must outlive Temporal's absence, not time out over it.
  stack = await startStack({ env: { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_UI_URL: temporal.uiUrl, INVENTORY_TIMEOUT: '3m' } });
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
  await temporal?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

it('reads orders from the order view while Temporal is stopped, refuses writes with 503, and completes every accepted order after a restart', async () => {
  const sku = await createProduct(stack, 20, 800);
  const request = orderRequest([{ sku, quantity: 1 }]);
  const confirmed = (await placeOrder(stack, request)).body.orderId as string;
  await waitForStatus(stack, confirmed, 'CONFIRMED');

  // One order left waiting on inventory, so that it is still running when Temporal goes.
  await stack.stop('inventory');
  const waiting = (await placeOrder(stack, { ...request, items: [{ sku, quantity: 2 }] })).body.orderId as string;
  await waitForStatus(stack, waiting, 'PAYMENT_AUTHORIZED');

  await temporal!.stop();
  temporal = undefined;
  try {
    expect((await getOrder(stack, confirmed)).body).toMatchObject({ orderId: confirmed, status: 'CONFIRMED', payment: { status: 'CAPTURED' } });
    expect((await getOrder(stack, waiting)).body).toMatchObject({ orderId: waiting, status: 'PAYMENT_AUTHORIZED', inventory: { status: 'AWAITING' } });
    const listed = await call(`${stack.api}/orders?customerId=${request.customerId}`);
    expect(listed.status).toBe(200);
    expect(listed.body.orders.map((order: { orderId: string; status: string }) => [order.orderId, order.status])).toEqual([
      [waiting, 'PAYMENT_AUTHORIZED'],
      [confirmed, 'CONFIRMED'],
    ]);

    const refused = await placeOrder(stack, request);
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/Placing the order: .*retry later/) } });
    const cancel = await call(`${stack.api}/orders/${waiting}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(503);
    expect(cancel.body.error).toEqual({ code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(new RegExp(`Cancelling order ${waiting}: .*retry later`)) });
  } finally {
    temporal = await startTemporal();
  }

  // Back: the waiting order resumes where it was and completes once inventory answers; new orders are taken again.
  await stack.start('inventory');
  await waitForStatus(stack, waiting, 'CONFIRMED', 90_000);
  const after = await placeOrder(stack, request);
  expect(after.status).toBe(201);
  await waitForStatus(stack, after.body.orderId, 'CONFIRMED', 60_000);
}, 240_000);
