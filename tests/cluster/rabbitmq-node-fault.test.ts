// Issue 12: the RabbitMQ node leading the most quorum queues killed under a stream of 200 orders and brought back; leaders re-elected, nothing lost, nothing doubled.
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/broker.js';
import { brokerNodes, quorumQueues, runningNodes, type BrokerNode } from '../support/faults/broker-nodes.js';
import { theProcessWith } from '../support/faults/cluster-stack.js';
import { clusterStackForSuite, expectOrdersSurvive, FAULT_SCENARIO_TIMEOUT_MS } from '../support/faults/orders-survive.js';
import { escapeRegExp, waitForOutput } from '../support/supervisor.js';

describe('a RabbitMQ node killed under a stream of orders', () => {
  const stack = clusterStackForSuite();

  it('elects new leaders on the running nodes, completes all 200 orders on both APIs each once, and has every replica online again once the node is back', async () => {
    const nodes = brokerNodes(stack());
    let ledByVictim: string[] = [];

    await expectOrdersSurvive(stack(), { before: 50, during: 100, after: 50 }, async () => {
      // The node leading the most queues, so that losing it forces the most elections (leaders sit where their declaring
      // client was connected, so this varies from run to run).
      const leaders = await quorumQueues(nodes[0]!);
      const victim = nodes.reduce((most, node) => (leadCount(leaders, node) > leadCount(leaders, most) ? node : most));
      ledByVictim = leaders.filter((queue) => queue.leader === victim.name).map((queue) => queue.name);
      const survivors = nodes.filter((node) => node !== victim);

      // SIGKILL on the Erlang VM, found by its -home: no goodbye to the cluster, its replicas just vanish.
      process.kill(theProcessWith(['-home', victim.dataDir]), 'SIGKILL');
      await waitForOutput(stack().supervisor, new RegExp(`RabbitMQ node ${escapeRegExp(victim.name)} exited \\([^)]*\\); its clients move to the other nodes`), 30_000);

      // While it is down, and orders keep coming: every queue is led by a running node, the victim's by a new leader.
      await eventually(async () => {
        const running = await runningNodes(survivors[0]!);
        expect(running.sort()).toEqual(survivors.map((node) => node.name).sort());
        const queues = await quorumQueues(survivors[0]!);
        expect(queues.filter((queue) => !running.includes(queue.leader)).map((queue) => `${queue.name} led by ${queue.leader || 'nobody'}`)).toEqual([]);
      }, { timeoutMs: 60_000, intervalMs: 500 });

      await waitForOutput(stack().supervisor, new RegExp(`RabbitMQ node ${escapeRegExp(victim.name)} is back`), 180_000);
      // Back on its own data, it rejoins as a follower of every queue it was a member of.
      await eventually(async () => {
        const queues = await quorumQueues(victim);
        const all = nodes.map((node) => node.name).sort();
        expect(queues.filter((queue) => [...queue.online].sort().join() !== all.join()).map((queue) => `${queue.name} online on ${queue.online.join(', ')}`)).toEqual([]);
        expect(queues.filter((queue) => !all.includes(queue.leader)).map((queue) => queue.name)).toEqual([]);
      }, { timeoutMs: 120_000, intervalMs: 1_000 });
    });

    // Something had to be re-elected: the victim led queues when it was killed.
    expect(ledByVictim.length).toBeGreaterThan(0);
  }, FAULT_SCENARIO_TIMEOUT_MS);
});

const leadCount = (queues: { leader: string }[], node: BrokerNode) => queues.filter((queue) => queue.leader === node.name).length;
