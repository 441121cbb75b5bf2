// `npm start`: supervises the development stack (Temporal dev server, RabbitMQ node, PostgreSQL, every component) in the foreground.
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigurationError, loadConfig, type Config } from '../platform/config.js';
import { assertPortsFree, type PortClaim } from './local-servers/ports.js';
import { findFreePort } from './local-servers/ports.js';
import { loadLocalSecrets } from './local-servers/local-secrets.js';
import { COMPONENTS_DATABASE, createComponentsDatabase } from './local-servers/components-database.js';
import { startPostgres } from './local-servers/postgres-server.js';
import { DEMO_ADMIN_ID, DEMO_CUSTOMER_ID, mintDevToken } from './local-servers/dev-tokens.js';
import { startRabbitNode, type RabbitNode } from './local-servers/rabbitmq-node.js';
import { createLocalBrokerUsers, type LocalBrokerUsers } from './local-servers/local-broker-users.js';
import type { BrokerAccount } from '../platform/messaging/broker-users.js';
import { ensureSystemPackages, SystemPackagesError } from './system-packages/installer.js';
import { postgresql, rabbitmq } from './system-packages/packages.js';
import type { ExitWatch } from './local-servers/server-process.js';
import { createStackTerminal } from './local-servers/stack-terminal.js';
import { onStopSignals, SupervisedComponent } from './local-servers/supervised-component.js';
import { workerHeapLimitSetting, workerNodeOptions } from './local-servers/worker-heap.js';
import { locateTemporalCli, repositoryRoot } from './local-servers/temporal-cli.js';
import { startTemporalDevServer, type TemporalDevServer } from './local-servers/temporal-dev-server.js';
import { waitForHealth } from './local-servers/wait-for-health.js';
import { buildWorkflowBundle } from './local-servers/workflow-bundle-build.js';

/**
 * Start order (the worker's turn comes once its workflow bundle is built); they stop in reverse, so the API stops taking
 * requests first and the payment provider goes last.
 */
const COMPONENTS = [
  { name: 'payment-provider', entry: 'payment-provider/main.ts' },
  { name: 'inventory', entry: 'event-handlers/inventory/main.ts' },
  { name: 'notifications', entry: 'event-handlers/notifications/main.ts' },
  { name: 'order-outcome', entry: 'event-handlers/order-outcome/main.ts' },
  { name: 'order-view', entry: 'event-handlers/order-view/main.ts' },
  { name: 'carrier', entry: 'carrier/main.ts' },
  { name: 'shipping', entry: 'event-handlers/shipping/main.ts' },
  { name: 'worker', entry: 'worker/main.ts' },
  { name: 'api', entry: 'api/main.ts' },
] as const;

/** A comma-separated list of `NAME=VALUE`s, as the dev server's repeatable flags take them. */
const settingList = (shape: string) =>
  z.string().transform((raw, ctx) => {
    if (raw.trim() === 'none') return [];
    const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
    const bad = entries.filter((entry) => !/^[\w.]+=\S+$/.test(entry));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `expected comma-separated ${shape}, got ${bad.join(', ')}` });
      return z.NEVER;
    }
    return entries;
  });

/** Ports of the dev servers npm start runs itself; settings of the dev stack, not of any component. */
const devStackSettings = z.object({
  TEMPORAL_PORT: z.coerce.number().int().min(1).max(65_535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65_535).default(8233),
  RABBITMQ_PORT: z.coerce.number().int().min(1).max(65_535).default(5672),
  RABBITMQ_MANAGEMENT_PORT: z.coerce.number().int().min(1).max(65_535).default(15672),
  /** Beside, not on, the 5432 of a PostgreSQL the machine may run already. */
  POSTGRES_PORT: z.coerce.number().int().min(1).max(65_535).default(5433),
  /**
   * Comma-separated `PRAGMA=VALUE`s for the dev server's SQLite file, or `none` for SQLite's own. Write-ahead logging
   * without a sync per commit carries a third more orders per second on the bench (README, Performance); a power cut
   * may lose the last moments of a development stack's history, never corrupt it.
   */
  TEMPORAL_DEV_SQLITE_PRAGMAS: settingList('PRAGMA=VALUE').default(['journal_mode=wal', 'synchronous=normal']),
  /** Comma-separated `KEY=VALUE` dynamic configuration for the dev server (values are YAML); none by default. */
  TEMPORAL_DEV_DYNAMIC_CONFIG: settingList('KEY=VALUE').default([]),
  /**
   * Fixed by default, so the node finds its queues again on the next start (RabbitMQ keys its database by node name);
   * a second stack on the same machine (npm run bench's) needs a name of its own.
   */
  RABBITMQ_NODE_NAME: z.string().regex(/^[\w.-]+@[\w.-]+$/, 'expected name@host, e.g. ensemble@localhost').default('ensemble@localhost'),
  WORKER_HEAP_LIMIT_MB: workerHeapLimitSetting,
});
type DevStackSettings = z.infer<typeof devStackSettings>;

/** Beyond the worker's own shutdown grace, a component that has not exited is killed. */
const EXTRA_STOP_GRACE_MS = 5_000;

const terminal = createStackTerminal(['rabbitmq', ...COMPONENTS.map((component) => component.name)]);
const { say } = terminal;
const terminalLog = terminal.log;

interface DevServer {
  name: string;
  stop(): Promise<void>;
  exited: ExitWatch;
}

async function main(): Promise<void> {
  let config: Config;
  let settings: DevStackSettings;
  try {
    config = loadConfig();
    settings = parseDevStackSettings();
  } catch (error) {
    fail(error instanceof ConfigurationError || error instanceof DevStackSettingsError ? error.message : String(error));
  }

  const runTemporal = !process.env.TEMPORAL_ADDRESS;
  const runRabbit = !process.env.AMQP_URL;
  // Every component's store on one PostgreSQL server of the stack's own, unless given one (or told to keep stores in memory).
  const runPostgres = !process.env.DATABASE_URL && config.DATA_DIR !== ':memory:';
  const claims: PortClaim[] = [
    { port: config.PORT, what: 'API', variable: 'PORT' },
    { port: config.PAYMENT_PROVIDER_PORT, what: 'payment provider', variable: 'PAYMENT_PROVIDER_PORT' },
    { port: config.INVENTORY_PORT, what: 'inventory', variable: 'INVENTORY_PORT' },
    { port: config.NOTIFICATIONS_PORT, what: 'notifications', variable: 'NOTIFICATIONS_PORT' },
    { port: config.ORDER_OUTCOME_PORT, what: 'order-outcome', variable: 'ORDER_OUTCOME_PORT' },
    { port: config.ORDER_VIEW_PORT, what: 'order view', variable: 'ORDER_VIEW_PORT' },
    { port: config.CARRIER_PORT, what: 'carrier', variable: 'CARRIER_PORT' },
    { port: config.SHIPPING_PORT, what: 'shipping', variable: 'SHIPPING_PORT' },
    { port: config.WORKER_METRICS_PORT, what: 'worker metrics', variable: 'WORKER_METRICS_PORT' },
  ];
  if (runTemporal) {
    claims.push({ port: settings.TEMPORAL_PORT, what: 'Temporal dev server', variable: 'TEMPORAL_PORT, or TEMPORAL_ADDRESS to use a running server' });
    claims.push({ port: settings.TEMPORAL_UI_PORT, what: 'Temporal web UI', variable: 'TEMPORAL_UI_PORT' });
  }
  if (runRabbit) {
    claims.push({ port: settings.RABBITMQ_PORT, what: 'RabbitMQ', variable: 'RABBITMQ_PORT, or AMQP_URL to use a running server' });
    claims.push({ port: settings.RABBITMQ_MANAGEMENT_PORT, what: 'RabbitMQ management UI', variable: 'RABBITMQ_MANAGEMENT_PORT' });
  }
  if (runPostgres) claims.push({ port: settings.POSTGRES_PORT, what: 'PostgreSQL', variable: 'POSTGRES_PORT, or DATABASE_URL to use a running server' });
  try {
    await assertPortsFree(claims);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }

  const dataDir = resolve(repositoryRoot, config.DATA_DIR === ':memory:' ? '.data' : config.DATA_DIR);
  const localSecrets = loadLocalSecrets(dataDir);
  const systemPackages = [...(runRabbit ? [rabbitmq] : []), ...(runPostgres ? [postgresql] : [])];
  if (systemPackages.length > 0) {
    try {
      await ensureSystemPackages(systemPackages, { logFile: join(dataDir, 'system-packages.log'), out: terminal.stackOutput() });
    } catch (error) {
      fail(error instanceof SystemPackagesError ? error.message : String(error));
    }
  }
  const servers: DevServer[] = [];
  const components: SupervisedComponent[] = [];
  let stopping: Promise<void> | undefined;
  let startingServers: Promise<unknown> = Promise.resolve();
  // While the servers boot; only the worker waits for it (README, Performance: the worker's memory).
  const workflowBundlePath = join(dataDir, 'worker', 'workflow-bundle.js');
  const workflowBundle = buildWorkflowBundle(workflowBundlePath);

  const shutdown = (exitCode: number, reason: string) => {
    if (stopping) return stopping;
    say(`${reason}: stopping the stack`);
    workflowBundle.cancel();
    stopping = (async () => {
      const grace = config.WORKER_SHUTDOWN_GRACE + EXTRA_STOP_GRACE_MS;
      await startingServers;
      for (const component of [...components].reverse()) {
        await component.stop(grace);
        say(`${component.name} stopped`);
      }
      await Promise.allSettled(
        servers.map(async (server) => {
          await server.stop();
          say(`${server.name} stopped`);
        }),
      );
      process.exit(exitCode);
    })();
    return stopping;
  };

  onStopSignals({
    graceful: (signal) => void shutdown(0, signal),
    immediate: (signal) => {
      say(`second ${signal}: killing everything now`);
      for (const component of components) component.kill();
      void Promise.allSettled(servers.map((server) => server.stop())).finally(() => process.exit(130));
    },
  });

  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUiUrl = config.TEMPORAL_UI_URL;
  let amqpUrls: readonly string[] = config.AMQP_URL;
  let managementUrl = process.env.RABBITMQ_MANAGEMENT_URL ?? `http://${new URL(amqpUrls[0]!.replace(/^amqps?:/, 'http:')).hostname}:15672`;

  // Each server is recorded as soon as it is up, so a Ctrl-C during start-up still stops it.
  const watchExit = (server: DevServer) => {
    servers.push(server);
    void server.exited.then(({ code, signal }) => {
      void shutdown(1, `${server.name} exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`);
    });
  };
  const temporalStarting = runTemporal
    ? startTemporal(settings, dataDir, `http://127.0.0.1:${config.PORT}/codec`).then((server) => {
        watchExit({ name: 'Temporal dev server', stop: () => server.stop(), exited: server.exited });
        temporalAddress = server.address;
        temporalUiUrl = server.uiUrl;
      })
    : Promise.resolve();
  // Its data lives on in DATA_DIR like the dev server's, so orders and stock are still there on the next start.
  const postgresStarting = runPostgres
    ? startPostgres({ dataDir: join(dataDir, 'postgres'), port: settings.POSTGRES_PORT, keepData: true, log: terminalLog }).then((server) => {
        watchExit({ name: 'PostgreSQL', stop: () => server.stop(), exited: server.exited });
        return createComponentsDatabase(server.url);
      })
    : Promise.resolve(undefined);
  let brokerBooting = runRabbit;
  // No guest on our node: per-run users, made before it boots, so each component can be given its own URL right away.
  const brokerUsers: LocalBrokerUsers | undefined = runRabbit
    ? await createLocalBrokerUsers({ exchange: config.EVENTS_EXCHANGE, ports: [settings.RABBITMQ_PORT], managementPort: settings.RABBITMQ_MANAGEMENT_PORT, dataDir })
    : undefined;
  const rabbitStarting = brokerUsers
    ? startRabbit(settings, dataDir, brokerUsers.accounts).then((node) => {
        watchExit({ name: 'RabbitMQ', stop: () => node.stop(), exited: node.exited });
        managementUrl = node.managementUrl;
      })
    : Promise.resolve();
  void rabbitStarting.finally(() => (brokerBooting = false)).catch(() => undefined);
  if (runRabbit) {
    // The node's address is fixed by its settings, so components can be given it before it answers (credentials: envFor).
    amqpUrls = [`amqp://127.0.0.1:${settings.RABBITMQ_PORT}`];
    managementUrl = `http://127.0.0.1:${settings.RABBITMQ_MANAGEMENT_PORT}`;
  }
  startingServers = Promise.allSettled([temporalStarting, rabbitStarting, postgresStarting]);

  const reportFailures = async () => {
    const failures = (await Promise.allSettled([temporalStarting, rabbitStarting, postgresStarting])).flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    if (failures.length === 0) return false;
    for (const failure of failures) say(failure instanceof Error ? failure.message : String(failure));
    await shutdown(1, 'could not start the dev servers');
    return true;
  };
  // Temporal is up in a second or two, and the worker and the API need it to start at all. A fresh RabbitMQ node
  // takes several times as long, and components only retry their broker connection meanwhile; so they start now
  // and spend the broker's boot loading their code and opening their stores instead of waiting for it.
  // PostgreSQL is up about as soon, and every component opens its store first thing, so they wait for it too.
  const [temporalUp, databaseUrls] = await Promise.all([temporalStarting.then(() => true, () => false), postgresStarting.catch(() => undefined)]);
  if (!temporalUp || (runPostgres && !databaseUrls)) {
    await reportFailures();
    return;
  }
  if (stopping) return;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: temporalUiUrl,
    AMQP_URL: amqpUrls.join(','),
    DATA_DIR: config.DATA_DIR === ':memory:' ? config.DATA_DIR : dataDir,
    // A component reaches another by URL; unless told otherwise that is where npm start runs it.
    PAYMENT_PROVIDER_URL: process.env.PAYMENT_PROVIDER_URL || `http://127.0.0.1:${config.PAYMENT_PROVIDER_PORT}`,
    INVENTORY_URL: process.env.INVENTORY_URL || `http://127.0.0.1:${config.INVENTORY_PORT}`,
    NOTIFICATIONS_URL: process.env.NOTIFICATIONS_URL || `http://127.0.0.1:${config.NOTIFICATIONS_PORT}`,
    ORDER_OUTCOME_URL: process.env.ORDER_OUTCOME_URL || `http://127.0.0.1:${config.ORDER_OUTCOME_PORT}`,
    ORDER_VIEW_URL: process.env.ORDER_VIEW_URL || `http://127.0.0.1:${config.ORDER_VIEW_PORT}`,
    CARRIER_URL: process.env.CARRIER_URL || `http://127.0.0.1:${config.CARRIER_PORT}`,
    SHIPPING_URL: process.env.SHIPPING_URL || `http://127.0.0.1:${config.SHIPPING_PORT}`,
    ...localSecrets,
    WORKER_WORKFLOW_BUNDLE: workflowBundlePath,
  };
  const startWhenBundled = (worker: SupervisedComponent) =>
    workflowBundle.ready.then(
      () => worker.start(),
      (error: unknown) => void shutdown(1, `could not bundle the workflows (${error instanceof Error ? error.message : String(error)})`),
    );
  COMPONENTS.forEach(({ name, entry }, index) => {
    const componentEnv = {
      ...env,
      ...brokerUsers?.envFor(name),
      ...(databaseUrls ? { DATABASE_URL: databaseUrls[name] } : {}),
      ...(name === 'worker' ? workerNodeOptions(settings.WORKER_HEAP_LIMIT_MB, env.NODE_OPTIONS) : {}),
    };
    const component = new SupervisedComponent(terminal, name, entry, index, componentEnv, (reason) => void shutdown(1, reason), (line) => brokerBooting && isBrokerRetry(line));
    components.push(component);
    if (name === 'worker') void startWhenBundled(component);
    else component.start();
  });

  if (await reportFailures()) return;
  if (stopping) return;

  const apiUrl = `http://127.0.0.1:${config.PORT}`;
  // Running means orders move: the worker (whose turn may come after the API's, once its bundle is built) polls too.
  await Promise.all([
    waitForHealth('the API', apiUrl, () => stopping !== undefined, say),
    waitForHealth('the worker', `http://127.0.0.1:${config.WORKER_METRICS_PORT}`, () => stopping !== undefined, say),
  ]);
  if (stopping) return;
  printBanner({
    apiUrl,
    temporalUiUrl,
    managementUrl,
    temporalAddress,
    namespace: config.TEMPORAL_NAMESPACE,
    startupSeconds: process.uptime(),
    brokerUsers,
    postgresUrl: runPostgres ? `postgres://postgres@127.0.0.1:${settings.POSTGRES_PORT}/${COMPONENTS_DATABASE}` : undefined,
    tokens: await bannerTokens(config, localSecrets.JWT_SECRET),
  });
}

class DevStackSettingsError extends Error {
  override readonly name = 'DevStackSettingsError';
}

function parseDevStackSettings(): DevStackSettings {
  const present = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = devStackSettings.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new DevStackSettingsError(
    `Invalid dev stack settings:\n${parsed.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`).join('\n')}`,
  );
}

/** `codecEndpoint`: the API's codec routes, so the UI can show orders decoded (to an admin; see the README). */
async function startTemporal(settings: DevStackSettings, dataDir: string, codecEndpoint: string): Promise<TemporalDevServer> {
  const cliPath = await locateTemporalCli(terminalLog);
  return startTemporalDevServer({
    cliPath,
    codecEndpoint,
    port: settings.TEMPORAL_PORT,
    uiPort: settings.TEMPORAL_UI_PORT,
    dbFile: join(dataDir, 'temporal', 'temporal.db'),
    sqlitePragmas: settings.TEMPORAL_DEV_SQLITE_PRAGMAS,
    dynamicConfig: settings.TEMPORAL_DEV_DYNAMIC_CONFIG,
    log: terminalLog,
  });
}

async function startRabbit(settings: DevStackSettings, dataDir: string, accounts: readonly BrokerAccount[]): Promise<RabbitNode> {
  return startRabbitNode({
    accounts,
    dataDir: join(dataDir, 'rabbitmq'),
    port: settings.RABBITMQ_PORT,
    managementPort: settings.RABBITMQ_MANAGEMENT_PORT,
    nodeName: settings.RABBITMQ_NODE_NAME,
    distPort: await findFreePort(),
    log: terminalLog,
  });
}

/** A component's "cannot reach the broker yet" warning: expected, and only noise, while npm start's own node boots. */
function isBrokerRetry(line: string): boolean {
  return line.includes('"msg":"could not connect to RabbitMQ; retrying"');
}

/** Ready-to-use tokens, so the README's "Try it" works by copy and paste; none when an identity provider issues them (JWT_JWKS_URL). */
async function bannerTokens(config: Config, secret: string): Promise<string[]> {
  if (config.JWT_JWKS_URL) return ['  Bearer tokens: from your identity provider (JWT_JWKS_URL is set).'];
  const settings = { secret, JWT_ISSUER: config.JWT_ISSUER, JWT_AUDIENCE: config.JWT_AUDIENCE };
  return [
    '  Bearer tokens for 12h (Authorization: Bearer <token>; more with npm run token -- --sub <id> --role customer|admin):',
    `    customer ${DEMO_CUSTOMER_ID}  ${await mintDevToken(settings, { sub: DEMO_CUSTOMER_ID, role: 'customer' })}`,
    `    admin ${DEMO_ADMIN_ID}  ${await mintDevToken(settings, { sub: DEMO_ADMIN_ID, role: 'admin' })}`,
    '',
  ];
}

function printBanner(urls: {
  apiUrl: string;
  temporalUiUrl: string;
  managementUrl: string;
  temporalAddress: string;
  namespace: string;
  startupSeconds: number;
  brokerUsers: LocalBrokerUsers | undefined;
  /** The stack's own PostgreSQL, when it runs one: its administrator, who needs no password on this machine. */
  postgresUrl: string | undefined;
  tokens: string[];
}): void {
  const { brokerUsers } = urls;
  const lines = [
    '',
    'Ensemble is running. Ctrl-C stops everything.',
    `Start-up took ${urls.startupSeconds.toFixed(1)}s.`,
    '',
    `  API                     ${urls.apiUrl}   (OpenAPI: ${urls.apiUrl}/openapi.json)`,
    `  Web console             ${urls.apiUrl}/   (sign in with a token below)`,
    `  Temporal web UI         ${urls.temporalUiUrl}/namespaces/${urls.namespace}/workflows`,
    `  RabbitMQ management UI  ${withoutCredentials(urls.managementUrl)}${brokerUsers ? `   (${brokerUsers.administrator.username} / ${brokerUsers.administrator.password}, this run only)` : ''}`,
    ...(brokerUsers ? [`  RabbitMQ users          ${brokerUsers.file}   (one per component, and the operator's for npm run dlq)`] : []),
    ...(urls.postgresUrl ? [`  PostgreSQL              ${urls.postgresUrl}   (a schema and a role per component; psql needs no password here)`] : []),
    '',
    '  Orders by status with the Temporal CLI:',
    `    temporal workflow list${/^(127\.0\.0\.1|localhost):7233$/.test(urls.temporalAddress) ? '' : ` --address ${urls.temporalAddress}`} --query 'OrderStatus="CONFIRMED"'`,
    '',
    ...urls.tokens,
  ];
  for (const line of lines) say(line);
}

/** A management URL given with credentials in it is shown without them. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/$/, '');
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
