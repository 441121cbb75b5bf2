// Fault test: two instances of every handler and two workers compete for the same work on a real PostgreSQL, one of each killed mid-run.
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/broker.js';
import { startFaultCluster, type FaultCluster, type InstanceName } from '../support/faults/cluster.js';
import { Scenario } from '../support/faults/scenario.js';

let cluster: FaultCluster;
let connection: Connection;

beforeAll(async () => {
  cluster = await startFaultCluster({
    instances: [
      'payment-provider',
      'inventory',
      'inventory#2',
      'notifications',
      'notifications#2',
      'order-outcome',
      'order-outcome#2',
      'order-view',
      'order-view#2',
      'carrier',
      'shipping',
      'shipping#2',
      'worker',
      'worker#2',
      'api',
    ],
  });
  connection = await Connection.connect({ address: inject('infrastructure').temporalAddress });
});
afterAll(async () => {
  await connection?.close();
  await cluster?.teardown();
});

/** How many consumers each queue has right now, from the management API. */
async function consumersByQueue(): Promise<Record<string, number>> {
  const url = new URL('/api/queues/%2F?columns=name,consumers', cluster.managementUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  url.username = '';
  url.password = '';
  const response = await fetch(url, { headers: { authorization } });
  expect(response.status).toBe(200);
  const queues = (await response.json()) as { name: string; consumers?: number }[];
  return Object.fromEntries(queues.map((queue) => [queue.name, queue.consumers ?? 0]));
}

/** Distinct worker identities polling the order task queue for workflow tasks. */
async function workflowPollers(): Promise<string[]> {
  const client = new Client({ connection });
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: cluster.env.TEMPORAL_TASK_QUEUE },
  });
  return [...new Set((pollers ?? []).map((poller) => poller.identity ?? ''))];
}

describe('scale-out', () => {
  it('two of every handler and two workers, ~200 orders with last-unit races, one instance of each killed mid-run: every promise holds', async () => {
    // Competing consumers, really: each handler queue has two consumers and the task queue two workers.
    await eventually(async () => {
      expect(await consumersByQueue()).toMatchObject({ inventory: 2, notifications: 2, 'order-outcome': 2, 'order-view': 2, shipping: 2, 'catalog-replica.worker': 2 });
      expect((await workflowPollers()).length).toBeGreaterThanOrEqual(2);
    }, { timeoutMs: 60_000, intervalMs: 500 });

    const scenario = new Scenario(cluster);
    const common = [await scenario.product(1_000, 300), await scenario.product(1_000, 450), await scenario.product(1_000, 1_200)];
    const scarce = await scenario.product(5, 9_900);

    // Every fourth order also wants the scarce product: about fifty orders race for its five units.
    let placed = 0;
    const items = () => {
      const i = placed++;
      const lines = [{ sku: common[i % 3]!, quantity: 1 + (i % 2) }];
      if (i % 4 === 0) lines.push({ sku: scarce, quantity: 1 });
      return lines;
    };
    const placing = scenario.orders(200, items, {}, 10);

    // One instance of each kind dies mid-run (SIGKILL, in-flight work and all); its twin carries on alone for a while.
    const victims: InstanceName[] = ['inventory', 'notifications#2', 'order-outcome', 'shipping#2', 'worker#2'];
    await eventually(() => expect(placed).toBeGreaterThanOrEqual(60), { timeoutMs: 120_000, intervalMs: 100 });
    await Promise.all(victims.map((name) => cluster.kill(name)));
    await eventually(() => expect(placed).toBeGreaterThanOrEqual(140), { timeoutMs: 120_000, intervalMs: 100 });
    for (const name of victims) await cluster.start(name);

    const answers = await placing;
    expect(answers.every((answer) => answer.status === 201 || answer.status === 422), JSON.stringify(answers.filter((a) => a.status >= 300 && a.status !== 422).map((a) => a.body))).toBe(true);

    const report = await scenario.ledger();
    const statuses = Object.values(report.statuses);
    const count = (status: string) => statuses.filter((s) => s === status).length;
    console.info(
      `scale-out: ${statuses.length} orders, ${count('CONFIRMED')} confirmed, ${count('CANCELLED')} cancelled, ${count('REJECTED')} rejected at the cart; ` +
        `scarce units confirmed ${report.confirmedUnits[scarce] ?? 0} of 5`,
    );
    expect(statuses).toHaveLength(200);
    // Nobody got a unit that was not there, and the last units did go to someone.
    expect(report.confirmedUnits[scarce]).toBe(5);
    // The 150 orders without the scarce product all had stock; of the 50 with it, exactly five got a unit.
    expect(count('CONFIRMED')).toBe(155);
    expect(count('CANCELLED') + count('REJECTED')).toBe(45);
  });
});
