// Which component instances the production-shaped stack runs, on which ports, and which instance of each other component each one talks to.

export interface ClusterComponent {
  name: string;
  entry: string;
  /** The variable its HTTP surface listens on. */
  portVariable: string;
  /** The variable others reach it by, when anyone does. */
  urlVariable?: string;
  /** The stand-ins for outside services run once: a card processor and a carrier are one service to us. */
  single?: boolean;
}

/** Start order, as npm start's; they stop in reverse, so the APIs stop taking requests first and the stand-ins go last. */
export const CLUSTER_COMPONENTS: readonly ClusterComponent[] = [
  { name: 'payment-provider', entry: 'payment-provider/main.ts', portVariable: 'PAYMENT_PROVIDER_PORT', urlVariable: 'PAYMENT_PROVIDER_URL', single: true },
  { name: 'inventory', entry: 'event-handlers/inventory/main.ts', portVariable: 'INVENTORY_PORT', urlVariable: 'INVENTORY_URL' },
  { name: 'notifications', entry: 'event-handlers/notifications/main.ts', portVariable: 'NOTIFICATIONS_PORT', urlVariable: 'NOTIFICATIONS_URL' },
  { name: 'order-outcome', entry: 'event-handlers/order-outcome/main.ts', portVariable: 'ORDER_OUTCOME_PORT', urlVariable: 'ORDER_OUTCOME_URL' },
  { name: 'order-view', entry: 'event-handlers/order-view/main.ts', portVariable: 'ORDER_VIEW_PORT', urlVariable: 'ORDER_VIEW_URL' },
  { name: 'carrier', entry: 'carrier/main.ts', portVariable: 'CARRIER_PORT', urlVariable: 'CARRIER_URL', single: true },
  { name: 'shipping', entry: 'event-handlers/shipping/main.ts', portVariable: 'SHIPPING_PORT', urlVariable: 'SHIPPING_URL' },
  { name: 'worker', entry: 'worker/main.ts', portVariable: 'WORKER_METRICS_PORT' },
  { name: 'api', entry: 'api/main.ts', portVariable: 'PORT' },
];

export interface ClusterInstance {
  /** `inventory#1`, `inventory#2`; a single instance keeps the component's name. */
  name: string;
  component: ClusterComponent;
  /** 0-based among the component's instances. */
  index: number;
  port: number;
}

/** Every instance in start order, each on a port from `nextPort`. */
export async function planInstances(perComponent: number, nextPort: () => Promise<number>): Promise<ClusterInstance[]> {
  if (!Number.isInteger(perComponent) || perComponent < 1) throw new RangeError(`instances per component must be a positive integer, got ${perComponent}`);
  const instances: ClusterInstance[] = [];
  for (const component of CLUSTER_COMPONENTS) {
    const count = component.single ? 1 : perComponent;
    for (let index = 0; index < count; index++) {
      instances.push({ name: count === 1 ? component.name : `${component.name}#${index + 1}`, component, index, port: await nextPort() });
    }
  }
  return instances;
}

/**
 * An instance's own port, and the URL of one instance of each other component: the instance with the same number where
 * there is one. There is no load balancer in front of the HTTP surfaces, so the traffic is spread by pairing API #2 with
 * order view #2 and so on, and each pair keeps working while the other pair's instances are down.
 */
export function instanceAddressing(instance: ClusterInstance, all: readonly ClusterInstance[]): Record<string, string> {
  const env: Record<string, string> = { [instance.component.portVariable]: String(instance.port) };
  for (const component of CLUSTER_COMPONENTS) {
    if (!component.urlVariable) continue;
    const peers = all.filter((candidate) => candidate.component.name === component.name);
    const peer = peers[instance.index % peers.length];
    if (peer) env[component.urlVariable] = `http://127.0.0.1:${peer.port}`;
  }
  return env;
}

/** A cluster's node URLs starting at the instance's own turn, so the two instances of a component connect to different nodes first. */
export function rotatedNodeUrls(urls: readonly string[], index: number): string[] {
  if (urls.length === 0) return [];
  const start = index % urls.length;
  return [...urls.slice(start), ...urls.slice(0, start)];
}
