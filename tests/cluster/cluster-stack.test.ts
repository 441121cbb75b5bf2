// What the README promises about `npm run start:cluster`: the Temporal server on PostgreSQL, a three-node RabbitMQ cluster, two instances per component, all stopped by one Ctrl-C.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyShardCount } from '../../scripts/local-servers/temporal-server.js';
import { call, orderRequest } from '../support/http.js';
import { eventually } from '../support/broker.js';
import { CLUSTER_START_TIMEOUT_MS, startClusterStack, type ClusterStack } from '../support/faults/cluster-stack.js';
import { exitWithin, isRunning, startedComponents, tail } from '../support/supervisor.js';

/** Components in start order, each instance of each; they stop in reverse, a component's instances together. */
const INSTANCE_NAMES = [
  'payment-provider', 'inventory#1', 'inventory#2', 'notifications#1', 'notifications#2', 'order-outcome#1', 'order-outcome#2',
  'order-view#1', 'order-view#2', 'carrier', 'shipping#1', 'shipping#2', 'worker#1', 'worker#2', 'api#1', 'api#2',
];

interface QueueInfo {
  name: string;
  type: string;
  members?: string[];
}

describe('npm run start:cluster', () => {
  let stack: ClusterStack;
  let output = '';

  beforeAll(async () => {
    stack = await startClusterStack();
    output = stack.banner;
  }, CLUSTER_START_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const banner = (pattern: RegExp) => {
    const match = pattern.exec(output);
    expect(match, tail(output)).not.toBeNull();
    return match!;
  };

  it('runs two instances of every component but the stand-ins, and prints both API addresses', () => {
    expect(startedComponents(output).map(({ name }) => name), tail(output)).toEqual(INSTANCE_NAMES);
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
    // The management API lists a queue's members from statistics its replicas report every few seconds,
    // so a queue declared moments ago (the order view's stream in particular) may show none yet: ask until it does.
    await eventually(async () => {
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
    }, { timeoutMs: 30_000, intervalMs: 1_000 });
  });

  it('Ctrl-C stops everything in reverse order, the servers last, and leaves nothing running', async () => {
    const components = startedComponents(stack.supervisor.output());
    stack.supervisor.process.kill('SIGINT');
    const { code, signal } = await exitWithin(stack.supervisor, 180_000);
    const final = stack.supervisor.output();
    expect({ code, signal }, tail(final)).toEqual({ code: 0, signal: null });
    const stopped = [...final.matchAll(/^stack\s+\| (.+) stopped$/gm)].map((match) => match[1]!.split('#')[0]);
    const componentOrder = [...new Set(INSTANCE_NAMES.map((name) => name.split('#')[0]))].reverse();
    // Both instances of a component stop together, so within a component their order may vary.
    expect([...new Set(stopped)]).toEqual([...componentOrder, 'RabbitMQ cluster', 'Temporal server', 'PostgreSQL']);
    expect(final).not.toMatch(/did not stop within/);
    expect(components.filter(({ pid }) => isRunning(pid))).toEqual([]);
  });
});
