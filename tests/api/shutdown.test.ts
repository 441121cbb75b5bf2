// Stopping the API is graceful: no new connections, in-flight requests finish (here: an order waiting on its workflow), then connections close.
import { afterAll, expect, inject, it } from 'vitest';
import { request, startTestApi, startTestWorker, testConfig, validOrder, type TestWorker } from '../support/api.js';
import { orderTaskQueue } from '../../workflows/contract.js';

const infrastructure = inject('infrastructure');
let worker: TestWorker | undefined;

afterAll(async () => {
  await worker?.stop();
});

it('finishes an in-flight POST /orders before stopping, then refuses new connections', async () => {
  const config = testConfig(infrastructure);
  const api = await startTestApi(config);

  // No worker yet: the order waits for cart verification, so the request is still in flight when stop() is called.
  const inFlight = request(api.url, 'POST', '/orders', { body: validOrder() });
  await new Promise((resolve) => setTimeout(resolve, 500));
  let stopped = false;
  const stopping = api.stop().then(() => {
    stopped = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(stopped).toBe(false);

  worker = await startTestWorker(infrastructure.temporalAddress, orderTaskQueue(config));
  const response = await inFlight;
  expect(response.status).toBe(201);
  expect(response.body.status).toBe('CART_VERIFIED');
  await stopping;
  await expect(fetch(`${api.url}/health`)).rejects.toThrow();
});
