// The cluster stack's RabbitMQ nodes as an operator sees them: each node's data directory and management API, and who leads each quorum queue.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterStack } from './cluster-stack.js';

export interface BrokerNode {
  /** `<prefix>-<n>@localhost`, as the management API names it. */
  name: string;
  /** Its `-home`, which tells its Erlang VM apart from the other nodes'. */
  dataDir: string;
  /** With the administrator's credentials: any running node's API shows the whole cluster. */
  managementUrl: string;
}

/** A quorum queue's replicas, as RabbitMQ 3.10's management API reports them. */
export interface QuorumQueue {
  name: string;
  leader: string;
  members: string[];
  /** Members whose replica is running. */
  online: string[];
}

/**
 * Every node of the stack's cluster. The banner prints the first node's management URL only; each node's own port is in
 * the rabbitmq.conf the stack wrote in its data directory, and the node names follow the first one's (`…-1@localhost`).
 */
export function brokerNodes(stack: ClusterStack, count = 3): BrokerNode[] {
  const first = new URL(stack.endpoints.managementUrl);
  const firstName = firstNodeName(stack.banner);
  return Array.from({ length: count }, (_, index) => {
    const dataDir = join(stack.workDir, 'cluster', 'rabbitmq', `node-${index + 1}`);
    const config = readFileSync(join(dataDir, 'rabbitmq.conf'), 'utf8');
    const port = /^management\.tcp\.port = (\d+)$/m.exec(config)?.[1];
    if (!port) throw new Error(`no management port in ${dataDir}/rabbitmq.conf`);
    const managementUrl = new URL(first);
    managementUrl.port = port;
    return { name: firstName.replace(/-1@/, `-${index + 1}@`), dataDir, managementUrl: managementUrl.toString().replace(/\/$/, '') };
  });
}

function firstNodeName(banner: string): string {
  const name = /RabbitMQ nodes +(\S+-1@localhost) /.exec(banner)?.[1];
  if (!name) throw new Error('no RabbitMQ node names in the banner');
  return name;
}

/** Every quorum queue with its leader and members, read through one node's management API. */
export async function quorumQueues(node: BrokerNode): Promise<QuorumQueue[]> {
  const queues = await managementGet<(Partial<QuorumQueue> & { name: string; type: string })[]>(node, '/api/queues/%2F?columns=name,type,leader,members,online');
  return queues
    .filter((queue) => queue.type === 'quorum')
    .map((queue) => ({ name: queue.name, leader: queue.leader ?? '', members: queue.members ?? [], online: queue.online ?? [] }));
}

/** The nodes the cluster counts as running, read through one node's management API. */
export async function runningNodes(node: BrokerNode): Promise<string[]> {
  const nodes = await managementGet<{ name: string; running: boolean }[]>(node, '/api/nodes');
  return nodes.filter((entry) => entry.running).map((entry) => entry.name);
}

async function managementGet<T>(node: BrokerNode, path: string): Promise<T> {
  const url = new URL(path, node.managementUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  url.username = '';
  url.password = '';
  const response = await fetch(url, { headers: { authorization }, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`the management API of ${node.name} answered ${response.status} to ${path}`);
  return (await response.json()) as T;
}
