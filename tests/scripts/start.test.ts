// What the README promises about `npm start`: one command runs the whole stack, restarts a crashed component, and Ctrl-C stops all of it.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configVariables } from '../../platform/config.js';
import { databaseRoleOf, DATABASE_COMPONENTS, schemasOf } from '../../platform/store/database-users.js';
import { findFreePort } from '../../scripts/local-servers/ports.js';
import { temporaryDataParent } from '../../scripts/local-servers/postgres-server.js';
import { repositoryRoot } from '../../scripts/local-servers/temporal-cli.js';
import { eventually } from '../support/broker.js';
import { call, orderRequest } from '../support/http.js';
import { TEST_SECRETS } from '../support/secrets.js';
import { exitWithin, isRunning, killGroup, spawnCaptured, startedComponents, tail, waitForOutput, type Supervised } from '../support/supervisor.js';

/** CARRIER_PORT/URL and SHIPPING_PORT/URL on free ports. */
async function shippingPorts(): Promise<Record<string, string>> {
  const [carrier, shipping] = [await findFreePort(), await findFreePort()];
  return {
    CARRIER_PORT: String(carrier),
    CARRIER_URL: `http://127.0.0.1:${carrier}`,
    SHIPPING_PORT: String(shipping),
    SHIPPING_URL: `http://127.0.0.1:${shipping}`,
  };
}

/** The order the supervisor starts its components in (the worker once its bundle is built); they must stop in the reverse. */
const COMPONENT_NAMES = ['payment-provider', 'inventory', 'notifications', 'order-outcome', 'order-view', 'carrier', 'shipping', 'worker', 'api'];

type Supervisor = Supervised;

/** Runs `npm start` the way npm does (`tsx scripts/start.ts`), with only the settings given, not the test runner's. */
function startSupervisor(settings: Record<string, string>): Supervisor {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // A DATABASE_URL or PORT from the developer's shell would make this run share state or ports with theirs.
  for (const variable of [...configVariables, 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'RABBITMQ_PORT', 'RABBITMQ_MANAGEMENT_PORT', 'POSTGRES_PORT', 'TEMPORAL_CLI']) {
    delete env[variable];
  }
  return spawnCaptured(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: repositoryRoot, env: { ...env, NO_COLOR: '1', ...settings } });
}

describe('npm start, against the test servers', () => {
  const infrastructure = inject('infrastructure');
  let supervisor: Supervisor;
  let dataDir: string;
  let api: string;
  let inventory: string;
  let postgresPort: number;

  beforeAll(async () => {
    // As root, npm start's PostgreSQL runs as the postgres user, and keeps its data here only if that user can reach it.
    dataDir = await temporaryDataParent('ensemble-start-');
    const [port, paymentPort, inventoryPort, notificationsPort] = [await findFreePort(), await findFreePort(), await findFreePort(), await findFreePort()];
    const orderViewPort = await findFreePort();
    postgresPort = await findFreePort();
    api = `http://127.0.0.1:${port}`;
    inventory = `http://127.0.0.1:${inventoryPort}`;
    const suffix = randomUUID().slice(0, 8);
    supervisor = startSupervisor({
      // The test's own secrets (the environment wins over DATA_DIR's generated ones), so its helpers' tokens are accepted.
      ...TEST_SECRETS,
      // Given servers are reused, so npm start runs no Temporal or RabbitMQ of its own (that code is tested in
      // local-servers.test.ts); it does run its PostgreSQL, which is quick to start.
      POSTGRES_PORT: String(postgresPort),
      TEMPORAL_ADDRESS: infrastructure.temporalAddress,
      TEMPORAL_UI_URL: infrastructure.temporalUiUrl,
      AMQP_URL: infrastructure.amqpUrl,
      RABBITMQ_MANAGEMENT_URL: infrastructure.amqpManagementUrl,
      PORT: String(port),
      PAYMENT_PROVIDER_PORT: String(paymentPort),
      PAYMENT_PROVIDER_URL: `http://127.0.0.1:${paymentPort}`,
      INVENTORY_PORT: String(inventoryPort),
      INVENTORY_URL: inventory,
      NOTIFICATIONS_PORT: String(notificationsPort),
      NOTIFICATIONS_URL: `http://127.0.0.1:${notificationsPort}`,
      ORDER_VIEW_PORT: String(orderViewPort),
      ORDER_VIEW_URL: `http://127.0.0.1:${orderViewPort}`,
      // Free ports for the carrier and shipping too, so this run cannot meet another stack on their defaults.
      ...(await shippingPorts()),
      // Queues and the task queue of their own, so no other test's consumers or workers take this run's work.
      EVENTS_EXCHANGE: `test.start.${suffix}`,
      TEMPORAL_TASK_QUEUE: `orders-start-${suffix}`,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      WORKER_SHUTDOWN_GRACE: '2s',
    });
  });

  afterAll(async () => {
    if (!supervisor) return;
    killGroup(supervisor.process.pid);
    // Components run in process groups of their own, so the supervisor's group does not include them.
    for (const { pid } of startedComponents(supervisor.output())) killGroup(pid);
    await exitWithin(supervisor, 10_000).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('one command runs the whole stack: banner with the URLs, the demo catalog, and an order confirmed end to end', async () => {
    await waitForOutput(supervisor, /Ensemble is running\. Ctrl-C stops everything\./, 90_000);
    const output = supervisor.output();
    // The banner says how long start-up took, so a slow start is seen rather than guessed.
    expect(output).toMatch(/Ensemble is running\. Ctrl-C stops everything\.\n\S* *\| Start-up took \d+\.\ds\./);
    expect(output).toContain(`API                     ${api}   (OpenAPI: ${api}/openapi.json)`);
    expect(output).toContain(`Web console             ${api}/`);
    // The console is served by the API itself, with the modules it imports straight from node_modules.
    const page = await fetch(`${api}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<script type="module" src="/console/app.js"></script>');
    expect((await fetch(`${api}/console/vendor/preact.mjs`)).headers.get('content-type')).toMatch(/javascript/);
    expect(output).toContain(`Temporal web UI         ${infrastructure.temporalUiUrl}/namespaces/default/workflows`);
    expect(output).toMatch(new RegExp(`RabbitMQ management UI  \\S*${new URL(infrastructure.amqpManagementUrl).host.replace(/\./g, '\\.')}`));
    const postgresUrl = `postgres://postgres@127.0.0.1:${postgresPort}/ensemble`;
    expect(output).toContain(`PostgreSQL              ${postgresUrl}`);
    // Every component keeps its store there: each schema's tables were made by its component, logged in as its own
    // role. None has an embedded store.
    const postgres = new pg.Client({ connectionString: postgresUrl });
    await postgres.connect();
    try {
      const { rows } = await postgres.query<{ schema: string; owner: string }>('SELECT DISTINCT schemaname AS schema, tableowner AS owner FROM pg_tables');
      const owners = Object.fromEntries(rows.map(({ schema, owner }) => [schema, owner]));
      for (const component of DATABASE_COMPONENTS) {
        for (const schema of schemasOf[component]) expect(owners[schema], schema).toBe(databaseRoleOf(component));
      }
    } finally {
      await postgres.end();
    }
    expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
    // All of them; the worker whenever its workflow bundle is built, so not necessarily in its turn.
    expect(startedComponents(output).map(({ name }) => name).sort()).toEqual([...COMPONENT_NAMES].sort());
    // Ready-to-use tokens for the README's "Try it": the customer's sees only its own orders, the admin's everything.
    const customerToken = /^\S*\s*\|\s+customer cust-1\s+(\S+)$/m.exec(output)?.[1];
    const adminToken = /^\S*\s*\|\s+admin operator\s+(\S+)$/m.exec(output)?.[1];
    expect(customerToken, tail(output)).toBeDefined();
    expect((await call(`${api}/orders?customerId=cust-1`, { headers: { authorization: `Bearer ${customerToken}` } })).status).toBe(200);
    expect((await call(`${api}/orders?customerId=someone-else`, { headers: { authorization: `Bearer ${customerToken}` } })).status).toBe(403);
    expect((await call(`${api}/admin/dead-letters`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);

    const products = await eventually(
      async () => {
        const answer = await call<{ products: { sku: string; price: number }[] }>(`${api}/products`);
        expect(answer.status).toBe(200);
        expect(answer.body.products.map((product) => product.sku)).toContain('MUG-LOGO');
        return answer.body.products;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(products.find((product) => product.sku === 'MUG-LOGO')?.price).toBe(1250);
    expect(products.length).toBeGreaterThan(1);

    // The worker verifies carts against its own replica, which may fill a moment after the API's; until then an order is REJECTED.
    const placed = await eventually(
      async () => {
        const answer = await call(`${api}/orders`, { method: 'POST', body: orderRequest([{ sku: 'MUG-LOGO', quantity: 2 }]) });
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        return answer.body as { orderId: string; total: number };
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(placed.total).toBe(2 * 1250);

    const confirmed = await eventually(
      async () => {
        const answer = await call(`${api}/orders/${placed.orderId}`);
        expect(answer.body?.status, JSON.stringify(answer.body)).toBe('CONFIRMED');
        return answer.body as { payment: { status: string }; inventory: { status: string } };
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(confirmed.payment.status).toBe('CAPTURED');
    expect(confirmed.inventory.status).toBe('COMMITTED');
    // The worker ran the bundle npm start built ahead of it, rather than paying webpack's memory itself.
    const polling = supervisor.output().split('\n').find((line) => line.includes('worker polling'));
    expect(polling).toContain(join(dataDir, 'worker', 'workflow-bundle.js'));
    // And under npm start's heap limit (WORKER_HEAP_LIMIT_MB, 256 MiB of old space; V8 adds its young generation),
    // not V8's own, which grows with the machine's memory (about 4 GiB here).
    const heapLimitMiB = Number(/"heapLimitMiB":(\d+)/.exec(polling ?? '')?.[1]);
    expect(heapLimitMiB).toBeGreaterThanOrEqual(256);
    expect(heapLimitMiB).toBeLessThan(400);
  });

  it('a crashed component is restarted: inventory killed with SIGKILL comes back and answers its health check', async () => {
    const before = startedComponents(supervisor.output()).filter(({ name }) => name === 'inventory');
    const killed = before.at(-1)!.pid;
    process.kill(killed, 'SIGKILL');

    await waitForOutput(supervisor, /inventory exited unexpectedly \(signal SIGKILL\); restarting in \d+(\.\d+)?s/, 10_000);
    const restarted = await eventually(
      () => {
        const now = startedComponents(supervisor.output()).filter(({ name }) => name === 'inventory');
        expect(now.length).toBe(before.length + 1);
        return now.at(-1)!.pid;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(restarted).not.toBe(killed);
    expect(isRunning(killed)).toBe(false);

    await eventually(
      async () => {
        const answer = await call(`${inventory}/health`);
        expect(answer.status).toBe(200);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(isRunning(restarted)).toBe(true);
  });

  it('Ctrl-C stops everything: the API first, the payment provider last, exit code 0, no component left running', async () => {
    const components = startedComponents(supervisor.output());
    supervisor.process.kill('SIGINT');

    const { code, signal } = await exitWithin(supervisor, 60_000);
    const output = supervisor.output();
    expect({ code, signal }, tail(output)).toEqual({ code: 0, signal: null });
    expect(output).toContain('SIGINT: stopping the stack');
    const stopped = [...output.matchAll(/^stack\s+\| (\S+) stopped$/gm)].map((match) => match[1]);
    // Its PostgreSQL once every component that used it has stopped.
    expect(stopped).toEqual([...COMPONENT_NAMES].reverse().concat('PostgreSQL'));
    // Each stopped gracefully on SIGTERM; none needed to be killed.
    expect(output).not.toMatch(/did not stop within/);
    expect(components.filter(({ pid }) => isRunning(pid))).toEqual([]);
  });
});

describe('npm start with a busy port', () => {
  let blocker: Server | undefined;
  let supervisor: Supervisor | undefined;

  afterAll(async () => {
    killGroup(supervisor?.process.pid);
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  });

  it('gives a clear message naming the port and the PORT variable, and exits 1 without starting anything', async () => {
    const infrastructure = inject('infrastructure');
    blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)));
    const dataDir = await mkdtemp(join(tmpdir(), 'ensemble-start-busy-'));
    try {
      supervisor = startSupervisor({
        TEMPORAL_ADDRESS: infrastructure.temporalAddress,
        AMQP_URL: infrastructure.amqpUrl,
        PORT: String(port),
        PAYMENT_PROVIDER_PORT: String(await findFreePort()),
        INVENTORY_PORT: String(await findFreePort()),
        NOTIFICATIONS_PORT: String(await findFreePort()),
        POSTGRES_PORT: String(await findFreePort()),
        EVENTS_EXCHANGE: `test.start.${randomUUID().slice(0, 8)}`,
        DATA_DIR: dataDir,
      });

      const { code } = await exitWithin(supervisor, 30_000);
      expect(code, supervisor.output()).toBe(1);
      expect(supervisor.output()).toContain(`Port ${port} (API, set PORT) is already in use`);
      expect(startedComponents(supervisor.output())).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('npm start with a malformed dev server setting', () => {
  it('names the setting and what it expects, and exits 1 without starting anything', async () => {
    const supervisor = startSupervisor({ TEMPORAL_DEV_SQLITE_PRAGMAS: 'journal_mode=wal,fast please', DATA_DIR: ':memory:' });
    try {
      const { code } = await exitWithin(supervisor, 30_000);
      expect(code, supervisor.output()).toBe(1);
      expect(supervisor.output()).toContain('TEMPORAL_DEV_SQLITE_PRAGMAS: expected comma-separated PRAGMA=VALUE, got fast please');
      expect(startedComponents(supervisor.output())).toEqual([]);
    } finally {
      killGroup(supervisor.process.pid);
    }
  });
});
