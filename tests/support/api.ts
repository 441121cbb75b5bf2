// Shared set-up for the API tests: a real API on port 0 against the test servers, and a worker running the stand-in workflow.
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { adminAuth, TEST_SECRETS, testWorkerDataConverter } from './secrets.js';
import { loadConfig, type Config } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { startApi, type RunningApi } from '../../api/index.js';
import type { Infrastructure } from './infrastructure.js';

/** A port nothing listens on: connections are refused at once. */
export const NOWHERE = 'http://127.0.0.1:9';

export function testConfig(infrastructure: Infrastructure, overrides: Record<string, string> = {}): Config {
  const suffix = randomUUID().slice(0, 8);
  return loadConfig({
    ...TEST_SECRETS,
    // The test broker has no guest: the dead-letter tooling signs in as the run's administrator.
    RABBITMQ_MANAGEMENT_URL: infrastructure.amqpManagementUrl,
    PORT: '0',
    DATA_DIR: ':memory:',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    TEMPORAL_ADDRESS: infrastructure.temporalAddress,
    TEMPORAL_UI_URL: infrastructure.temporalUiUrl,
    TEMPORAL_TASK_QUEUE: `api-test-${suffix}`,
    AMQP_URL: infrastructure.amqpUrl,
    EVENTS_EXCHANGE: `api-test-${suffix}.events`,
    INVENTORY_URL: NOWHERE,
    NOTIFICATIONS_URL: NOWHERE,
    // No order view here: order reads fall back to Temporal, as they do whenever the view cannot be reached.
    ORDER_VIEW_URL: NOWHERE,
    // Tests fire requests in bursts from one address; only the rate-limit test sets a low budget, on purpose.
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...overrides,
  });
}

export async function startTestApi(config: Config): Promise<RunningApi> {
  return startApi(config, createLogger('api', config.LOG_LEVEL));
}

export interface TestWorker {
  stop(): Promise<void>;
}

/** Runs tests/support/api-test-workflow.ts as `orderWorkflow` on the given task queue. */
export async function startTestWorker(temporalAddress: string, taskQueue: string): Promise<TestWorker> {
  // The SDK's runtime (and its logger) is installed once per process; keep its chatter to warnings.
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier worker in this test file.
  }
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const worker = await Worker.create({
    connection,
    taskQueue,
    // The API's client encrypts; the stand-in must read what it sends, as the real worker does.
    dataConverter: testWorkerDataConverter(),
    workflowsPath: fileURLToPath(new URL('./api-test-workflow.ts', import.meta.url)),
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** A body POST /orders accepts. */
export function validOrder(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId: `cust-${randomUUID().slice(0, 8)}`,
    email: 'ada@example.com',
    items: [{ sku: 'MUG-001', quantity: 2 }],
    paymentToken: 'tok_visa',
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    ...overrides,
  };
}

/** Calls the API (or, with serviceAuth in headers, an owner's surface) and parses its JSON answer. */
export async function request(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  const response = await fetch(`${base}${path}`, {
    method,
    // An operator unless the test says otherwise (`authorization` in headers; serviceAuth for an owner's surface).
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...(await adminAuth()), ...options.headers },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/**
 * A request sent byte for byte as given (node:http): the path is not normalised ("..", "%ZZ" stay as written, unlike
 * fetch), and headers such as Content-Encoding go out unchecked. For hostile-input tests.
 */
export async function rawRequest(
  base: string,
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string; body: any }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ hostname, port, method, path, headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body });
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
