// The worker's /health says whether it polls, not only that its HTTP server listens (it listens first, for /metrics during start-up).
import { afterEach, expect, it } from 'vitest';
import { listen, type ListeningServer } from '../../platform/http/listen.js';
import { createWorkerApp } from '../../worker/http.js';
import { testLog } from '../support/broker.js';
import { call } from '../support/http.js';

let server: ListeningServer | undefined;
afterEach(async () => server?.close());

it('answers 503 while the worker is being created, 200 once it polls, and 503 again once it stops or fails', async () => {
  let state: string | undefined;
  server = await listen(createWorkerApp({ log: testLog, workerState: () => state }), { port: 0, host: '127.0.0.1', log: testLog });
  const health = async () => {
    const answer = await call(`${server!.url}/health`);
    return [answer.status, answer.body];
  };
  expect(await health()).toEqual([503, { status: 'starting' }]);
  state = 'INITIALIZED';
  expect(await health()).toEqual([503, { status: 'starting' }]);
  state = 'RUNNING';
  expect(await health()).toEqual([200, { status: 'ok' }]);
  state = 'STOPPING';
  expect(await health()).toEqual([503, { status: 'stopping' }]);
  state = 'FAILED';
  expect(await health()).toEqual([503, { status: 'failed' }]);
});
