// The whole system in one test process: every component started for real, on the test servers, wired by URL.
import { inject } from 'vitest';
import type { Config } from '../../platform/config.js';
import type { Stoppable } from '../../platform/lifecycle.js';
import { startPaymentProvider } from '../../payment-provider/server.js';
import { startInventory } from '../../event-handlers/inventory/index.js';
import { startNotifications } from '../../event-handlers/notifications/index.js';
import { startOrderOutcome } from '../../event-handlers/order-outcome/index.js';
import { startOrderView } from '../../event-handlers/order-view/index.js';
import { startCarrier } from '../../carrier/server.js';
import { startShipping } from '../../event-handlers/shipping/index.js';
import { startWorker } from '../../worker/index.js';
import { startApi } from '../../api/index.js';
import { createTestDatabase } from './databases.js';
import { eventually, testConfig, testLog } from './broker.js';
import { workflowBundle } from './workflow-harness.js';

export type ComponentName = 'payment-provider' | 'inventory' | 'notifications' | 'order-outcome' | 'order-view' | 'carrier' | 'shipping' | 'worker' | 'api';

export interface Stack {
  config: Config;
  api: string;
  paymentProvider: string;
  inventory: string;
  notifications: string;
  orderOutcome: string;
  /** The order view's surface (service token). */
  orderView: string;
  /** The carrier stand-in's API (its store counts the bookings per order). */
  carrier: string;
  shipping: string;
  /** The worker's /health and /metrics. */
  worker: string;
  /** Stops one component (to simulate it being down); `start` brings it back with the same configuration. */
  stop(component: ComponentName): Promise<void>;
  start(component: ComponentName): Promise<void>;
  teardown(): Promise<void>;
}

export interface StackOptions {
  /** Overrides for the configuration, e.g. INVENTORY_TIMEOUT. */
  env?: Record<string, string>;
  /** Use a fresh PostgreSQL database (the default) or in-memory PGlite per component. */
  store?: 'postgres' | 'pglite';
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const infrastructure = inject('infrastructure');
  const usePostgres = (options.store ?? 'postgres') === 'postgres';
  const database = usePostgres ? await createTestDatabase(infrastructure.postgresUrl) : undefined;
  let config = testConfig(infrastructure, {
    INVENTORY_TIMEOUT: '20s',
    TEMPORAL_TASK_QUEUE: `orders-e2e-${Math.random().toString(36).slice(2, 8)}`,
    TEMPORAL_UI_URL: infrastructure.temporalUiUrl,
    WORKER_SHUTDOWN_GRACE: '2s',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  });
  const running = new Map<ComponentName, Stoppable>();
  const bundle = await workflowBundle();

  const starters: Record<ComponentName, () => Promise<Stoppable & { url?: string }>> = {
    'payment-provider': () => startPaymentProvider(config, testLog.child({ component: 'payment-provider' })),
    inventory: () => startInventory(config, testLog.child({ component: 'inventory' })),
    notifications: () => startNotifications(config, testLog.child({ component: 'notifications' })),
    'order-outcome': () => startOrderOutcome(config, testLog.child({ component: 'order-outcome' })),
    'order-view': () => startOrderView(config, testLog.child({ component: 'order-view' })),
    carrier: () => startCarrier(config, testLog.child({ component: 'carrier' })),
    shipping: () => startShipping(config, testLog.child({ component: 'shipping' })),
    worker: () => startWorker(config, testLog.child({ component: 'worker' }), { workflowBundle: bundle }),
    api: () => startApi(config, testLog.child({ component: 'api' })),
  };
  const urls: Partial<Record<ComponentName, string>> = {};

  const start = async (component: ComponentName) => {
    const started = await starters[component]();
    running.set(component, started);
    if (started.url && !urls[component]) {
      urls[component] = started.url;
      // Later components reach this one at the port it actually got; a restart keeps the same URL.
      config = { ...config, ...urlSetting(component, started.url) };
    }
  };

  for (const component of ['payment-provider', 'inventory', 'notifications', 'order-outcome', 'order-view', 'carrier', 'shipping', 'worker', 'api'] as const) {
    await start(component);
  }
  const stack: Stack = {
    get config() {
      return config;
    },
    api: urls.api!,
    paymentProvider: urls['payment-provider']!,
    inventory: urls.inventory!,
    notifications: urls.notifications!,
    orderOutcome: urls['order-outcome']!,
    orderView: urls['order-view']!,
    carrier: urls.carrier!,
    shipping: urls.shipping!,
    worker: urls.worker!,
    async stop(component) {
      await running.get(component)?.stop();
      running.delete(component);
    },
    async start(component) {
      // Restart on the same port so the others still find it.
      const port = urls[component] ? new URL(urls[component]).port : '0';
      const portVariable = portSetting(component);
      if (portVariable) config = { ...config, [portVariable]: Number(port) };
      await start(component);
    },
    async teardown() {
      for (const component of [...running.keys()].reverse()) await stack.stop(component);
      await database?.drop();
    },
  };
  // The demo catalog reaches the API's replica through events: wait until the orders side can see it.
  await eventually(async () => {
    const response = await fetch(`${stack.api}/products`);
    const body = (await response.json()) as { products: unknown[] };
    if (body.products.length === 0) throw new Error('catalog not replicated yet');
  }, { timeoutMs: 30_000 });
  return stack;
}

function urlSetting(component: ComponentName, url: string): Partial<Config> {
  switch (component) {
    case 'payment-provider':
      return { PAYMENT_PROVIDER_URL: url };
    case 'inventory':
      return { INVENTORY_URL: url };
    case 'notifications':
      return { NOTIFICATIONS_URL: url };
    case 'order-outcome':
      return { ORDER_OUTCOME_URL: url };
    case 'order-view':
      return { ORDER_VIEW_URL: url };
    case 'carrier':
      return { CARRIER_URL: url };
    case 'shipping':
      return { SHIPPING_URL: url };
    default:
      return {};
  }
}

function portSetting(component: ComponentName): keyof Config | undefined {
  return (
    {
      'payment-provider': 'PAYMENT_PROVIDER_PORT',
      inventory: 'INVENTORY_PORT',
      notifications: 'NOTIFICATIONS_PORT',
      'order-outcome': 'ORDER_OUTCOME_PORT',
      'order-view': 'ORDER_VIEW_PORT',
      carrier: 'CARRIER_PORT',
      shipping: 'SHIPPING_PORT',
      api: 'PORT',
    } as const
  )[component as 'api'];
}
