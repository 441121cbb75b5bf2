// Runs a RabbitMQ cluster on one machine: several nodes with their own names, ports and data, sharing a cookie, joined to the first.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BrokerAccount } from '../../platform/messaging/broker-users.js';
import { findFreePort } from './ports.js';
import { startRabbitNode, type RabbitNode } from './rabbitmq-node.js';
import { delay, type ProgressLog } from './server-process.js';

export interface RabbitClusterNodePlan {
  nodeName: string;
  port: number;
  managementPort: number;
  distPort: number;
  dataDir: string;
}

export interface RabbitClusterOptions {
  /** From planRabbitCluster: known before the nodes start, so clients can be given every address at once. */
  nodes: readonly RabbitClusterNodePlan[];
  /** Imported on every node; the first administrator is the one the cluster is checked as. */
  accounts: readonly BrokerAccount[];
  log: ProgressLog;
  /** Per node. @default 120_000 */
  readyTimeoutMs?: number;
}

export interface RabbitCluster {
  nodes: RabbitNode[];
  /** Every node's AMQP port, the first node's first. */
  ports: number[];
  /** The first node's management UI and API (every node's shows the whole cluster). */
  managementUrl: string;
  /** Stops every node; each node's own `exited` and `restart` let a supervisor bring back one that crashed. */
  stop(): Promise<void>;
}

export class RabbitClusterFormationError extends Error {
  override readonly name = 'RabbitClusterFormationError';
}

/**
 * Names, ports and data directories for each node, picked before anything starts: each node's data in <dataDir>/node-<n>,
 * names `<namePrefix>-<n>@localhost`, unique on the machine (epmd knows every running node by name). @default size 3
 */
export async function planRabbitCluster(options: { dataDir: string; namePrefix: string; size?: number }): Promise<RabbitClusterNodePlan[]> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a cluster needs at least one node, got ${size}`);
  const plans: RabbitClusterNodePlan[] = [];
  for (let index = 1; index <= size; index++) {
    plans.push({
      nodeName: `${options.namePrefix}-${index}@localhost`,
      port: await findFreePort(),
      managementPort: await findFreePort(),
      distPort: await findFreePort(),
      dataDir: join(options.dataDir, `node-${index}`),
    });
  }
  return plans;
}

/**
 * Starts every node at once (a node's boot is the slow part), then joins the others to the first with `rabbitmqctl
 * join_cluster`, and waits until the first node sees them all running. Quorum queues are replicated on the nodes that
 * are members when a queue is declared, so clients should declare queues only after this resolves.
 */
export async function startRabbitCluster(options: RabbitClusterOptions): Promise<RabbitCluster> {
  const { log } = options;
  const plans = options.nodes;
  if (plans.length === 0) throw new RangeError('a cluster needs at least one node');
  // One cookie for the cluster: nodes (and rabbitmqctl) authenticate each other by it.
  const erlangCookie = randomBytes(24).toString('hex').toUpperCase();
  const started = await Promise.allSettled(
    plans.map((plan) =>
      startRabbitNode({ ...plan, accounts: options.accounts, erlangCookie, log, readyTimeoutMs: options.readyTimeoutMs ?? 120_000 }),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stopAll = async () => {
    // The first node, which the others joined, goes last; the others together, as each takes seconds to stop.
    const [head, ...rest] = nodes;
    await Promise.all(rest.map((node) => node.stop()));
    await head?.stop();
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await stopAll();
    throw failure.reason;
  }
  const [first, ...others] = nodes as [RabbitNode, ...RabbitNode[]];
  try {
    for (const node of others) {
      // A node joins with an empty database: the users and definitions it imported at boot come from the cluster instead.
      await node.ctl(['stop_app']);
      await node.ctl(['reset']);
      await node.ctl(['join_cluster', first.nodeName], 120_000);
      await node.ctl(['start_app'], 120_000);
      log.info({ node: node.nodeName, cluster: first.nodeName }, 'RabbitMQ node joined the cluster');
    }
    await waitForRunningNodes(first, nodes.map((node) => node.nodeName), options.readyTimeoutMs ?? 120_000);
  } catch (error) {
    await stopAll();
    throw error;
  }
  log.info({ nodes: nodes.map((node) => node.nodeName).join(', ') }, 'RabbitMQ cluster formed');
  return {
    nodes,
    ports: nodes.map((node) => node.port),
    managementUrl: first.managementUrl,
    stop: stopAll,
  };
}

/** The management API of the first node lists every member with `running`; start_app returns before the others see it. */
async function waitForRunningNodes(first: RabbitNode, expected: string[], timeoutMs: number): Promise<void> {
  const authorization = `Basic ${Buffer.from(`${first.administrator.username}:${first.administrator.password}`).toString('base64')}`;
  const deadline = Date.now() + timeoutMs;
  let running: string[] = [];
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${first.managementUrl}/api/nodes`, { headers: { authorization }, signal: AbortSignal.timeout(5_000) });
      if (response.ok) {
        running = ((await response.json()) as { name: string; running: boolean }[]).filter((node) => node.running).map((node) => node.name);
        if (expected.every((name) => running.includes(name))) return;
      } else {
        await response.body?.cancel();
      }
    } catch {
      // The management API restarts with the app; ask again.
    }
    await delay(500);
  }
  throw new RabbitClusterFormationError(`the RabbitMQ cluster did not form within ${Math.round(timeoutMs / 1000)}s: running ${running.join(', ') || 'none'}, expected ${expected.join(', ')}`);
}
