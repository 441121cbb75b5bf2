// What the README promises about `npm run start:cluster`: the Temporal server on PostgreSQL, a three-node RabbitMQ cluster, two instances per component, all stopped by one Ctrl-C.
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configVariables } from '../../platform/config.js';
import { repositoryRoot } from '../../scripts/local-servers/temporal-cli.js';
import { historyShardCount } from '../../scripts/local-servers/temporal-server.js';
import { call, orderRequest } from '../support/http.js';
import { eventually } from '../support/broker.js';
import { TEST_SECRETS } from '../support/secrets.js';
import { exitWithin, isRunning, killGroup, killSupervisor, spawnCaptured, startedComponents, tail, waitForOutput, type Supervised } from '../support/supervisor.js';

/** A fresh machine builds the Temporal server first (about six minutes on two cores); a built one starts in under a minute. */
const START_TIMEOUT_MS = 15 * 60_000;

/** Components in start order, each instance of each; they stop in reverse, a component's instances together. */
const INSTANCE_NAMES = [
  'payment-provider', 'inventory#1', 'inventory#2', 'notifications#1', 'notifications#2', 'order-outcome#1', 'order-outcome#2',
  'order-view#1', 'order-view#2', 'carrier', 'shipping#1', 'shipping#2', 'worker#1', 'worker#2', 'api#1', 'api#2',
];

/** Every process's command line, as its arguments. */
function commandLines(): { pid: number; args: string[] }[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((entry) => {
    try {
      return [{ pid: Number(entry), args: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0') }];
    } catch {
      return [];
    }
  });
}

/** Processes whose command line holds `args` in a row (the Erlang VM of a node is found by its -home directory). */
function processesWithArguments(args: string[]): number[] {
  return commandLines()
    .filter(({ args: line }) => line.some((_, index) => args.every((arg, offset) => line[index + offset] === arg)))
    .map(({ pid }) => pid);
}

/** Processes with `directory` in an argument: the servers of the stack under test, whose data all lives there. */
function processesNaming(directory: string): number[] {
  return commandLines().filter(({ pid, args }) => pid !== process.pid && args.some((arg) => arg.includes(directory))).map(({ pid }) => pid);
}

interface QueueInfo {
  name: string;
  type: string;
  members?: string[];
}

describe('npm run start:cluster', () => {
  let supervisor: Supervised;
  let workDir: string;
  let output = '';

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ensemble-cluster-'));
    // As root, PostgreSQL runs as the postgres user, who must be able to reach its data directory inside this one.
    await chmod(workDir, 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Settings from the developer's shell (a DATABASE_URL, an AMQP_URL) must not leak into the stack under test.
    for (const variable of configVariables) delete env[variable];
    supervisor = spawnCaptured(process.execPath, ['--import', 'tsx', 'scripts/start-cluster.ts'], {
      cwd: repositoryRoot,
      env: {
        ...env,
        NO_COLOR: '1',
        // The test's own secrets (the environment wins over generated ones), so its helpers' admin tokens are accepted.
        ...TEST_SECRETS,
        DATA_DIR: join(workDir, 'data'),
        CLUSTER_DATA_DIR: join(workDir, 'cluster'),
        LOG_LEVEL: 'warn',
        WORKER_SHUTDOWN_GRACE: '2s',
      },
    });
    await waitForOutput(supervisor, /Ensemble \(production-shaped\) is running\. Ctrl-C stops everything\./, START_TIMEOUT_MS);
    output = supervisor.output();
  }, START_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await killSupervisor(supervisor);
    // A supervisor killed mid-way cannot stop its servers; they are found by their data directories, all in workDir.
    if (workDir) {
      for (const pid of processesNaming(workDir)) {
        killGroup(pid);
        // Not every one leads its group (a node's VM is its start script's child).
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const banner = (pattern: RegExp) => {
    const match = pattern.exec(output);
    expect(match, tail(output)).not.toBeNull();
    return match!;
  };

  it('runs two instances of every component but the stand-ins, and prints both API addresses', () => {
    expect(startedComponents(output).map(({ name }) => name)).toEqual(INSTANCE_NAMES);
    expect(output).toMatch(/API #1 +http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toMatch(/API #2 +http:\/\/127\.0\.0\.1:\d+/);
  });

  /** Places an order on each API instance as the banner's customer, and waits until both instances read each order CONFIRMED. */
  async function confirmAnOrderOnEachApi(): Promise<void> {
    const apis = [banner(/API #1 +(http:\/\/\S+)/)[1]!, banner(/API #2 +(http:\/\/\S+)/)[1]!];
    const customerToken = banner(/\|\s+customer cust-1\s+(\S+)$/m)[1]!;
    const asCustomer = { authorization: `Bearer ${customerToken}` };
    const orderIds: string[] = [];
    for (const api of apis) {
      const placed = await call(`${api}/orders`, { method: 'POST', body: orderRequest([{ sku: 'MUG-LOGO', quantity: 1 }], { customerId: 'cust-1' }), headers: asCustomer });
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      orderIds.push(placed.body.orderId as string);
    }
    for (const orderId of orderIds) {
      for (const api of apis) {
        await eventually(async () => {
          const order = await call(`${api}/orders/${orderId}`, { headers: asCustomer });
          expect(order.body?.status, JSON.stringify(order.body)).toBe('CONFIRMED');
        }, { timeoutMs: 60_000 });
      }
    }
  }

  it('confirms an order placed on each API instance, and each instance reads the other\'s order', async () => {
    await confirmAnOrderOnEachApi();
  });

  it('runs the Temporal server with more than one history shard', async () => {
    const address = banner(/Temporal server +(127\.0\.0\.1:\d+) /)[1]!;
    expect(await historyShardCount(address)).toBeGreaterThan(1);
  });

  it('has three running RabbitMQ nodes, and every queue replicated on all three', async () => {
    const managementUrl = banner(/RabbitMQ management UI +(\S+)/)[1]!;
    const [, username, password] = banner(/RabbitMQ management UI +\S+ +\((\S+) \/ (\S+), this run only\)/);
    const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const get = async <T>(path: string) => (await (await fetch(`${managementUrl}${path}`, { headers: { authorization } })).json()) as T;
    const nodes = (await get<{ name: string; running: boolean }[]>('/api/nodes')).filter((node) => node.running).map((node) => node.name);
    expect(nodes).toHaveLength(3);
    const queues = await get<QueueInfo[]>('/api/queues/%2F?columns=name,type,members');
    // The consumer queues of every component and both catalog replicas, with their retry and dead-letter queues.
    for (const consumer of ['inventory', 'notifications', 'order-outcome', 'order-view', 'shipping', 'catalog-replica.api', 'catalog-replica.worker']) {
      expect(queues.map((queue) => queue.name)).toEqual(expect.arrayContaining([consumer, `${consumer}.dlq`, `${consumer}.retry.1000ms`]));
    }
    expect(queues.map((queue) => queue.name)).toContain('ensemble.events.unroutable');
    for (const queue of queues) {
      // The order view's history is a stream, replicated like a quorum queue; everything else is a quorum queue.
      expect(queue.type, queue.name).toBe(queue.name === 'order-view.history' ? 'stream' : 'quorum');
      expect([...(queue.members ?? [])].sort(), queue.name).toEqual([...nodes].sort());
    }
  });

  it('carries on when a RabbitMQ node is killed: clients move to the other nodes, orders on both API instances are confirmed, and the node comes back', async () => {
    const nodeOne = join(workDir, 'cluster', 'rabbitmq', 'node-1');
    const beam = processesWithArguments(['-home', nodeOne]);
    expect(beam, `the first node's Erlang VM (-home ${nodeOne})`).toHaveLength(1);
    process.kill(beam[0]!, 'SIGKILL');
    // The supervisor watches the node's start script, which reports its VM's death as an exit of its own.
    await waitForOutput(supervisor, /RabbitMQ node \S+-1@localhost exited \([^)]*\); its clients move to the other nodes/, 30_000);
    await confirmAnOrderOnEachApi();
    // The supervisor brings the node back on its own data, as it would any server that died.
    await waitForOutput(supervisor, /RabbitMQ node \S+-1@localhost is back/, 180_000);
    expect(supervisor.output()).not.toMatch(/stopping the stack/);
  });

  it('Ctrl-C stops everything in reverse order, the servers last, and leaves nothing running', async () => {
    const components = startedComponents(supervisor.output());
    supervisor.process.kill('SIGINT');
    const { code, signal } = await exitWithin(supervisor, 180_000);
    const final = supervisor.output();
    expect({ code, signal }, tail(final)).toEqual({ code: 0, signal: null });
    const stopped = [...final.matchAll(/^stack\s+\| (.+) stopped$/gm)].map((match) => match[1]!.split('#')[0]);
    const componentOrder = [...new Set(INSTANCE_NAMES.map((name) => name.split('#')[0]))].reverse();
    // Both instances of a component stop together, so within a component their order may vary.
    expect([...new Set(stopped)]).toEqual([...componentOrder, 'RabbitMQ cluster', 'Temporal server', 'PostgreSQL']);
    expect(final).not.toMatch(/did not stop within/);
    expect(components.filter(({ pid }) => isRunning(pid))).toEqual([]);
  });
});
