// The fault suite's system: every component a real child process (killable, restartable), on a RabbitMQ node of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { findFreePort } from '../../../scripts/local-servers/ports.js';
import { startRabbitNode, type RabbitNode } from '../../../scripts/local-servers/rabbitmq-node.js';
import { brokerAccounts, generateBrokerCredentials, withCredentials } from '../../../platform/messaging/broker-users.js';
import { DEFAULT_EVENTS_EXCHANGE } from '../../../platform/messaging/wire-names.js';
import { repositoryRoot } from '../../../scripts/local-servers/temporal-cli.js';
import { createTestDatabase } from '../databases.js';
import { eventually } from '../broker.js';
import { TEST_SECRETS } from '../secrets.js';

export type Component = 'payment-provider' | 'inventory' | 'notifications' | 'order-outcome' | 'order-view' | 'carrier' | 'shipping' | 'worker' | 'api';

const entries: Record<Component, string> = {
  'payment-provider': 'payment-provider/main.ts',
  inventory: 'event-handlers/inventory/main.ts',
  notifications: 'event-handlers/notifications/main.ts',
  'order-outcome': 'event-handlers/order-outcome/main.ts',
  'order-view': 'event-handlers/order-view/main.ts',
  carrier: 'carrier/main.ts',
  shipping: 'event-handlers/shipping/main.ts',
  worker: 'worker/main.ts',
  api: 'api/main.ts',
};

/** An instance name is the component, or the component and a number for a second instance: `worker`, `worker#2`. */
export type InstanceName = Component | `${Component}#${number}`;
const componentOf = (name: InstanceName) => name.split('#')[0] as Component;

export interface RunningProcess {
  name: InstanceName;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface FaultClusterOptions {
  /** Extra configuration for every process, e.g. INVENTORY_TIMEOUT. */
  env?: Record<string, string>;
  /** Instances to start; defaults to one of each component. */
  instances?: InstanceName[];
}

export interface FaultCluster {
  readonly env: Record<string, string>;
  readonly api: string;
  readonly paymentProvider: string;
  readonly inventory: string;
  readonly notifications: string;
  readonly carrier: string;
  readonly shipping: string;
  readonly managementUrl: string;
  readonly amqpUrl: string;
  /** Starts an instance (again), optionally with extra environment such as CRASH_AT; resolves once it logged "started". */
  start(name: InstanceName, env?: Record<string, string>): Promise<RunningProcess>;
  /** Kills an instance: SIGKILL by default (a crash), SIGTERM for a graceful stop. Resolves when it has exited. */
  kill(name: InstanceName, signal?: NodeJS.Signals): Promise<void>;
  /** Resolves when the instance exits by itself (e.g. at an armed crash point). */
  exited(name: InstanceName): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(name: InstanceName): boolean;
  /** What an instance has logged so far (all its runs), one JSON line per entry; for checking who handled what. */
  logOf(name: InstanceName): string;
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  teardown(): Promise<void>;
}

const defaultInstances: InstanceName[] = ['payment-provider', 'inventory', 'notifications', 'order-outcome', 'order-view', 'carrier', 'shipping', 'worker', 'api'];

export async function startFaultCluster(options: FaultClusterOptions = {}): Promise<FaultCluster> {
  const infrastructure = inject('infrastructure');
  const directory = mkdtempSync(join(tmpdir(), 'ensemble-faults-'));
  const database = await createTestDatabase(infrastructure.postgresUrl);

  // A broker of our own, so that restarting it disturbs no other test; same node name and ports on every start.
  const rabbitPorts = { port: await findFreePort(), managementPort: await findFreePort(), distPort: await findFreePort() };
  const nodeName = `ensemble-faults-${randomUUID().slice(0, 8)}@localhost`;
  // One administrator for the cluster's life: the same credentials on every restart of the node.
  const accounts = brokerAccounts(DEFAULT_EVENTS_EXCHANGE, { admin: generateBrokerCredentials('faults-').admin });
  const startNode = () => startRabbitNode({ dataDir: join(directory, 'rabbitmq'), nodeName, ...rabbitPorts, accounts, log: { info() {}, warn() {} } });
  let broker: RabbitNode | undefined = await startNode();
  const managementUrl = withCredentials(broker.managementUrl, broker.administrator);

  const ports = {
    api: await findFreePort(),
    payments: await findFreePort(),
    inventory: await findFreePort(),
    notifications: await findFreePort(),
    orderOutcome: await findFreePort(),
    orderView: await findFreePort(),
    carrier: await findFreePort(),
    shipping: await findFreePort(),
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? directory,
    LOG_LEVEL: 'info',
    ...TEST_SECRETS,
    AMQP_URL: broker.url,
    RABBITMQ_MANAGEMENT_URL: managementUrl,
    TEMPORAL_ADDRESS: infrastructure.temporalAddress,
    TEMPORAL_UI_URL: infrastructure.temporalUiUrl,
    TEMPORAL_TASK_QUEUE: `orders-faults-${randomUUID().slice(0, 8)}`,
    DATABASE_URL: database.url,
    DATA_DIR: join(directory, 'data'),
    PORT: String(ports.api),
    PAYMENT_PROVIDER_PORT: String(ports.payments),
    PAYMENT_PROVIDER_URL: `http://127.0.0.1:${ports.payments}`,
    INVENTORY_PORT: String(ports.inventory),
    INVENTORY_URL: `http://127.0.0.1:${ports.inventory}`,
    NOTIFICATIONS_PORT: String(ports.notifications),
    NOTIFICATIONS_URL: `http://127.0.0.1:${ports.notifications}`,
    ORDER_OUTCOME_PORT: String(ports.orderOutcome),
    ORDER_OUTCOME_URL: `http://127.0.0.1:${ports.orderOutcome}`,
    ORDER_VIEW_PORT: String(ports.orderView),
    ORDER_VIEW_URL: `http://127.0.0.1:${ports.orderView}`,
    CARRIER_PORT: String(ports.carrier),
    CARRIER_URL: `http://127.0.0.1:${ports.carrier}`,
    SHIPPING_PORT: String(ports.shipping),
    SHIPPING_URL: `http://127.0.0.1:${ports.shipping}`,
    // Every confirmed order ships and is delivered within the ledger's wait.
    CARRIER_DELIVERY_DELAY: '1s',
    SHIPPING_RETRY_DELAYS_MS: '200,500,1000',
    SHIPPING_TRACKING_INTERVAL: '300ms',
    // Nobody calls the worker's metrics server here; each worker takes a free port.
    WORKER_METRICS_PORT: '0',
    INVENTORY_TIMEOUT: '2m',
    CONSUMER_RETRY_DELAYS_MS: '200,500,1000',
    OUTBOX_POLL_INTERVAL: '200ms',
    PUBLISH_CONFIRM_TIMEOUT: '5s',
    WORKER_SHUTDOWN_GRACE: '2s',
    SEED_DEMO_CATALOG: 'false',
    // Tests fire requests in bursts from one address; only the rate-limit test sets a low budget, on purpose.
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...options.env,
  };

  const running = new Map<InstanceName, RunningProcess>();
  const logs = new Map<InstanceName, WriteStream>();
  const logFile = (name: InstanceName) => join(directory, `${name.replace('#', '-')}.log`);

  const start = async (name: InstanceName, extraEnv: Record<string, string> = {}): Promise<RunningProcess> => {
    if (running.has(name)) throw new Error(`${name} is already running`);
    const second = name.includes('#');
    const instanceEnv = { ...env, ...extraEnv };
    // A second instance of an HTTP component takes its own port; only the first is what the others call.
    if (second) {
      const ports = ['PORT', 'PAYMENT_PROVIDER_PORT', 'INVENTORY_PORT', 'NOTIFICATIONS_PORT', 'ORDER_OUTCOME_PORT', 'ORDER_VIEW_PORT', 'CARRIER_PORT', 'SHIPPING_PORT'];
      Object.assign(instanceEnv, Object.fromEntries(ports.map((variable) => [variable, '0'])));
    }
    const child = spawn(process.execPath, ['--import', 'tsx', entries[componentOf(name)]], {
      cwd: repositoryRoot,
      env: instanceEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = logs.get(name) ?? createWriteStream(logFile(name), { flags: 'a' });
    logs.set(name, log);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(name);
        resolve({ code, signal });
      }),
    );
    // This run's last lines go into the error when it dies starting: teardown removes the log directory with the logs.
    const lastLines: string[] = [];
    const record = (line: string) => {
      log.write(`${line}\n`);
      lastLines.push(line);
      if (lastLines.length > 20) lastLines.shift();
    };
    const outputClosed = new Promise((resolve) => child.once('close', resolve));
    const started = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        record(line);
        if (line.includes('"msg":"started"')) resolve();
      });
      createInterface({ input: child.stderr }).on('line', record);
      void Promise.all([exited, outputClosed]).then(([{ code, signal }]) =>
        reject(new Error(`${name} exited before it started (code ${code}, signal ${signal}); its last lines:\n${lastLines.join('\n')}`)),
      );
    });
    const process_: RunningProcess = { name, child, exited };
    running.set(name, process_);
    await withTimeout(started, 90_000, () => `${name} did not start within 90s; its last lines:\n${lastLines.join('\n')}`);
    return process_;
  };

  const kill = async (name: InstanceName, signal: NodeJS.Signals = 'SIGKILL') => {
    const target = running.get(name);
    if (!target) return;
    target.child.kill(signal);
    await withTimeout(target.exited, 30_000, `${name} did not exit after ${signal}`).catch(async (error: unknown) => {
      target.child.kill('SIGKILL');
      await target.exited;
      throw error;
    });
  };

  const cluster: FaultCluster = {
    env,
    api: `http://127.0.0.1:${ports.api}`,
    paymentProvider: env.PAYMENT_PROVIDER_URL!,
    inventory: env.INVENTORY_URL!,
    notifications: env.NOTIFICATIONS_URL!,
    carrier: env.CARRIER_URL!,
    shipping: env.SHIPPING_URL!,
    managementUrl,
    amqpUrl: broker.url,
    start,
    kill,
    exited: (name) => running.get(name)?.exited ?? Promise.resolve({ code: null, signal: null }),
    isRunning: (name) => running.has(name),
    logOf: (name) => (existsSync(logFile(name)) ? readFileSync(logFile(name), 'utf8') : ''),
    async stopBroker() {
      await broker?.stop();
      broker = undefined;
    },
    async startBroker() {
      broker ??= await startNode();
    },
    async teardown() {
      await Promise.all([...running.keys()].map((name) => kill(name, 'SIGTERM').catch(() => kill(name, 'SIGKILL'))));
      await broker?.stop();
      for (const log of logs.values()) log.end();
      await database.drop();
      if (!process.env.KEEP_FAULT_LOGS) rmSync(directory, { recursive: true, force: true });
    },
  };

  try {
    for (const name of options.instances ?? defaultInstances) await start(name);
    // The API answers only once its catalog replica and the workflow worker can serve orders.
    await eventually(async () => {
      const response = await fetch(`${cluster.api}/ready`);
      if (response.status !== 200) throw new Error(`API not ready: ${response.status}`);
    }, { timeoutMs: 60_000, intervalMs: 250 });
  } catch (error) {
    await cluster.teardown();
    throw error;
  }
  return cluster;
}

/** The message may be a function, to say what is known when the time is up. */
async function withTimeout<T>(promise: Promise<T>, ms: number, message: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const say = () => (typeof message === 'function' ? message() : message);
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(say())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
