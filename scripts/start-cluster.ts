// `npm run start:cluster`: a production-shaped stack in the foreground: Temporal server on PostgreSQL, a three-node RabbitMQ cluster, two instances of every component.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigurationError, loadConfig, type Config } from '../platform/config.js';
import type { DatabaseComponent } from '../platform/store/database-users.js';
import { CLUSTER_COMPONENTS, instanceAddressing, planInstances, type ClusterInstance } from './local-servers/cluster-instances.js';
import { createComponentsDatabase } from './local-servers/components-database.js';
import { DEMO_ADMIN_ID, DEMO_CUSTOMER_ID, mintDevToken } from './local-servers/dev-tokens.js';
import { createLocalBrokerUsers } from './local-servers/local-broker-users.js';
import { loadLocalSecrets } from './local-servers/local-secrets.js';
import { findFreePort } from './local-servers/ports.js';
import { startPostgres } from './local-servers/postgres-server.js';
import { planRabbitCluster, startRabbitCluster, type RabbitCluster } from './local-servers/rabbitmq-cluster.js';
import type { RestartableServer } from './local-servers/server-process.js';
import { createStackTerminal } from './local-servers/stack-terminal.js';
import { onStopSignals, SupervisedComponent } from './local-servers/supervised-component.js';
import { locateTemporalCli, repositoryRoot } from './local-servers/temporal-cli.js';
import { locateTemporalServer } from './local-servers/temporal-server-build.js';
import { historyShardCount, startTemporalServer, type TemporalServer } from './local-servers/temporal-server.js';
import { waitForHealth } from './local-servers/wait-for-health.js';
import { workerHeapLimitSetting, workerNodeOptions } from './local-servers/worker-heap.js';
import { buildWorkflowBundle } from './local-servers/workflow-bundle-build.js';
import { ensureSystemPackages, SystemPackagesError } from './system-packages/installer.js';
import { postgresql, rabbitmq } from './system-packages/packages.js';

/** Settings of this stack alone, not of any component. */
const clusterSettings = z.object({
  /** Instances of each component but the two stand-ins. */
  CLUSTER_INSTANCES: z.coerce.number().int().min(1).max(4).default(2),
  /** The Temporal server's history shards; fixed for the life of its database, which this stack makes afresh on every start. */
  CLUSTER_HISTORY_SHARDS: z.coerce.number().int().min(1).max(1024).default(4),
  /** RabbitMQ nodes in the cluster. */
  CLUSTER_RABBITMQ_NODES: z.coerce.number().int().min(1).max(5).default(3),
  /** Emptied on every start: the stack shows a topology, it keeps no data between runs. */
  CLUSTER_DATA_DIR: z.string().min(1).default('.data/cluster'),
  /** Each worker instance's heap limit, as under npm start. */
  WORKER_HEAP_LIMIT_MB: workerHeapLimitSetting,
});
type ClusterSettings = z.infer<typeof clusterSettings>;

/** Beyond the worker's own shutdown grace, a component that has not exited is killed. */
const EXTRA_STOP_GRACE_MS = 5_000;
const TEMPORAL_UI_URL = 'http://127.0.0.1:8080';

interface Server {
  name: string;
  stop(): Promise<void>;
}

const terminal = createStackTerminal(['temporal-server', 'rabbitmq', ...CLUSTER_COMPONENTS.map((component) => `${component.name}#2`)]);
const { say } = terminal;

async function main(): Promise<void> {
  let config: Config;
  let settings: ClusterSettings;
  try {
    config = loadConfig();
    settings = parseClusterSettings();
  } catch (error) {
    fail(error instanceof ConfigurationError || error instanceof ClusterSettingsError ? error.message : String(error));
  }
  const mainDataDir = resolve(repositoryRoot, config.DATA_DIR === ':memory:' ? '.data' : config.DATA_DIR);
  const dataDir = resolve(repositoryRoot, settings.CLUSTER_DATA_DIR);
  try {
    await ensureSystemPackages([rabbitmq, postgresql], { logFile: join(mainDataDir, 'system-packages.log'), out: terminal.stackOutput() });
  } catch (error) {
    fail(error instanceof SystemPackagesError ? error.message : String(error));
  }
  // The tools come first: a missing Go or Temporal CLI is reported before anything is started.
  let temporalInstall: Awaited<ReturnType<typeof locateTemporalServer>>;
  let cliPath: string;
  try {
    temporalInstall = await locateTemporalServer(terminal.log);
    cliPath = await locateTemporalCli(terminal.log);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }

  try {
    await emptyDataDirectory(dataDir);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  // The same secrets as npm start's, so `npm run token` signs tokens this stack accepts.
  const secrets = loadLocalSecrets(mainDataDir);

  const servers: Server[] = [];
  const components: SupervisedComponent[] = [];
  let stopping: Promise<void> | undefined;
  let starting: Promise<unknown> = Promise.resolve();
  // While the servers boot, as npm start does.
  const workflowBundlePath = join(dataDir, 'worker', 'workflow-bundle.js');
  const workflowBundle = buildWorkflowBundle(workflowBundlePath);
  const shutdown = (exitCode: number, reason: string) => {
    if (stopping) return stopping;
    say(`${reason}: stopping the stack`);
    workflowBundle.cancel();
    stopping = (async () => {
      const grace = config.WORKER_SHUTDOWN_GRACE + EXTRA_STOP_GRACE_MS;
      await starting.catch(() => undefined);
      // Components in reverse start order, the instances of one component together; then the servers, last started first.
      for (const group of groupedByComponent(components).reverse()) {
        await Promise.all(group.map(async (component) => {
          await component.stop(grace);
          say(`${component.name} stopped`);
        }));
      }
      for (const server of [...servers].reverse()) {
        await server.stop();
        say(`${server.name} stopped`);
      }
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
  /**
   * A server that dies is started again on its own data, ports and configuration, as systemd or Kubernetes would do:
   * the product has to ride out a database, Temporal server or broker node coming back, and the cluster tests kill
   * them to show it does. The stack stops only when one cannot be brought back.
   */
  const superviseServer = (name: string, server: RestartableServer, exitMessage = (how: string) => `${name} exited unexpectedly (${how}); restarting it`) => {
    void server.exited.then(async ({ code, signal }) => {
      if (stopping) return;
      say(exitMessage(signal ? `signal ${signal}` : `exit code ${code}`));
      try {
        await server.restart();
      } catch (error) {
        void shutdown(1, `${name} could not be restarted: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      if (stopping) return;
      say(`${name} is back`);
      superviseServer(name, server, exitMessage);
    });
  };
  const watch = (name: string, server: RestartableServer & { stop(): Promise<void> }) => {
    servers.push({ name, stop: () => server.stop() });
    superviseServer(name, server);
  };

  const nodePlans = await planRabbitCluster({ dataDir: join(dataDir, 'rabbitmq'), namePrefix: `ensemble-cluster-${process.pid}`, size: settings.CLUSTER_RABBITMQ_NODES });
  const brokerUsers = await createLocalBrokerUsers({
    exchange: config.EVENTS_EXCHANGE,
    ports: nodePlans.map((plan) => plan.port),
    managementPort: nodePlans[0]!.managementPort,
    dataDir,
  });
  // PostgreSQL, then the Temporal server on it, while the RabbitMQ nodes boot beside them.
  const temporalStarting = (async () => {
    const postgres = await startPostgres({ dataDir: join(dataDir, 'postgres'), port: await findFreePort(), maxConnections: 500, log: terminal.log });
    watch('PostgreSQL', postgres);
    const temporal = await startTemporalServer({
      install: temporalInstall,
      cliPath,
      postgresAdminUrl: postgres.url,
      dataDir: join(dataDir, 'temporal'),
      historyShards: settings.CLUSTER_HISTORY_SHARDS,
      namespace: config.TEMPORAL_NAMESPACE,
      log: terminal.log,
    });
    watch('Temporal server', temporal);
    return { postgres, temporal };
  })();
  const rabbitStarting = startRabbitCluster({ nodes: nodePlans, accounts: brokerUsers.accounts, log: terminal.log }).then((cluster) => {
    servers.push({ name: 'RabbitMQ cluster', stop: () => cluster.stop() });
    // One node going away is what a cluster is for: its clients move to the other nodes while it restarts and rejoins.
    for (const node of cluster.nodes) {
      superviseServer(`RabbitMQ node ${node.nodeName}`, node, (how) => `RabbitMQ node ${node.nodeName} exited (${how}); its clients move to the other nodes while it restarts`);
    }
    return cluster;
  });
  starting = Promise.allSettled([temporalStarting, rabbitStarting]);
  const results = await Promise.allSettled([temporalStarting, rabbitStarting]);
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) {
    for (const failure of failures) say(failure instanceof Error ? failure.message : String(failure));
    await shutdown(1, 'could not start the servers');
    return;
  }
  if (stopping) return;
  const { postgres, temporal } = await temporalStarting;
  const cluster = await rabbitStarting;

  const databaseUrls = await createComponentsDatabase(postgres.url);
  const instances = await planInstances(settings.CLUSTER_INSTANCES, findFreePort);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    TEMPORAL_ADDRESS: temporal.address,
    // Every queue replicated on every node: consumer and dead-letter queues always are, this takes the retry queues along.
    RABBITMQ_QUEUE_TYPE: 'quorum',
    DATA_DIR: join(dataDir, 'stores'),
    // Where the banner's UI command serves it, so the API's links to orders (and the codec's CORS origin) match.
    TEMPORAL_UI_URL: TEMPORAL_UI_URL,
    WORKER_WORKFLOW_BUNDLE: workflowBundlePath,
  };
  try {
    // Long built by now: the servers take far longer to boot than webpack.
    await workflowBundle.ready;
  } catch (error) {
    await shutdown(1, `could not bundle the workflows (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  if (stopping) return;
  starting = (async () => {
    for (const instance of instances) {
      const component = instance.component.name;
      const instanceEnv = {
        ...env,
        ...instanceAddressing(instance, instances),
        ...brokerUsers.envFor(component, instance.index),
        ...(component in databaseUrls ? { DATABASE_URL: databaseUrls[component as DatabaseComponent] } : {}),
        ...(component === 'worker' ? workerNodeOptions(settings.WORKER_HEAP_LIMIT_MB, env.NODE_OPTIONS) : {}),
      };
      const supervised = new SupervisedComponent(terminal, instance.name, instance.component.entry, components.length, instanceEnv, (reason) => void shutdown(1, reason));
      components.push(supervised);
      supervised.start();
    }
  })();
  await starting;

  const apis = instances.filter((instance) => instance.component.name === 'api').map((instance) => `http://127.0.0.1:${instance.port}`);
  await Promise.all(apis.map((apiUrl) => waitForHealth('the API', apiUrl, () => stopping !== undefined, say)));
  if (stopping) return;
  printBanner({
    apis,
    temporal,
    shards: await historyShardCount(temporal.address).catch(() => settings.CLUSTER_HISTORY_SHARDS),
    namespace: config.TEMPORAL_NAMESPACE,
    cluster,
    administrator: brokerUsers.administrator,
    credentialsFile: brokerUsers.file,
    postgresUrl: postgres.url,
    instances,
    startupSeconds: process.uptime(),
    tokens: await bannerTokens(config, secrets.JWT_SECRET),
  });
}

class ClusterSettingsError extends Error {
  override readonly name = 'ClusterSettingsError';
}

function parseClusterSettings(): ClusterSettings {
  const present = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = clusterSettings.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new ClusterSettingsError(`Invalid cluster stack settings:\n${parsed.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`).join('\n')}`);
}

/** Marks a directory as this stack's, so that a start empties only a directory an earlier start made. */
const DATA_MARKER = '.ensemble-cluster-data';

/**
 * Every start begins empty. CLUSTER_DATA_DIR could name any directory, so one that holds files but not the marker is
 * refused rather than emptied.
 */
async function emptyDataDirectory(dataDir: string): Promise<void> {
  const entries = await readdir(dataDir).catch(() => [] as string[]);
  if (entries.length > 0 && !entries.includes(DATA_MARKER)) {
    throw new ClusterSettingsError(`CLUSTER_DATA_DIR: ${dataDir} holds files npm run start:cluster did not make; it empties its directory on every start, so name an empty or new one`);
  }
  await rm(dataDir, { recursive: true, force: true });
  // PostgreSQL may run as another user (as root it runs as postgres), who must be able to reach its directory.
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  await writeFile(join(dataDir, DATA_MARKER), 'Made by npm run start:cluster, which empties this directory on every start.\n');
}

/** Groups consecutive instances of one component, in start order. */
function groupedByComponent(components: readonly SupervisedComponent[]): SupervisedComponent[][] {
  const groups: SupervisedComponent[][] = [];
  for (const component of components) {
    const last = groups.at(-1);
    if (last && last[0]!.name.split('#')[0] === component.name.split('#')[0]) last.push(component);
    else groups.push([component]);
  }
  return groups;
}

async function bannerTokens(config: Config, secret: string): Promise<string[]> {
  if (config.JWT_JWKS_URL) return ['  Bearer tokens: from your identity provider (JWT_JWKS_URL is set).'];
  const signing = { secret, JWT_ISSUER: config.JWT_ISSUER, JWT_AUDIENCE: config.JWT_AUDIENCE };
  return [
    '  Bearer tokens for 12h (the same secret as npm start; more with npm run token -- --sub <id> --role customer|admin):',
    `    customer ${DEMO_CUSTOMER_ID}  ${await mintDevToken(signing, { sub: DEMO_CUSTOMER_ID, role: 'customer' })}`,
    `    admin ${DEMO_ADMIN_ID}  ${await mintDevToken(signing, { sub: DEMO_ADMIN_ID, role: 'admin' })}`,
    '',
  ];
}

function printBanner(facts: {
  apis: string[];
  temporal: TemporalServer;
  shards: number;
  namespace: string;
  cluster: RabbitCluster;
  administrator: { username: string; password: string };
  credentialsFile: string;
  postgresUrl: string;
  instances: ClusterInstance[];
  startupSeconds: number;
  tokens: string[];
}): void {
  const { temporal, cluster } = facts;
  const lines = [
    '',
    'Ensemble (production-shaped) is running. Ctrl-C stops everything.',
    `Start-up took ${facts.startupSeconds.toFixed(1)}s.`,
    '',
    ...facts.apis.map((api, index) => `  API #${index + 1}                  ${api}   (OpenAPI: ${api}/openapi.json)`),
    `  Web console             ${facts.apis.map((api) => `${api}/`).join(', ')}   (sign in with a token below)`,
    `  Temporal server         ${temporal.address}   (${facts.shards} history shards, PostgreSQL; config ${temporal.configFile})`,
    `  Temporal web UI         docker run --rm --network host -e TEMPORAL_ADDRESS=${temporal.address} -e TEMPORAL_UI_PORT=8080 temporalio/ui   (then ${TEMPORAL_UI_URL})`,
    `  RabbitMQ nodes          ${cluster.nodes.map((node) => `${node.nodeName} amqp://127.0.0.1:${node.port}`).join(', ')}`,
    `  RabbitMQ management UI  ${cluster.managementUrl}   (${facts.administrator.username} / ${facts.administrator.password}, this run only)`,
    `  RabbitMQ users          ${facts.credentialsFile}`,
    `  PostgreSQL              ${facts.postgresUrl}   (databases temporal, temporal_visibility, ensemble)`,
    `  Instances               ${facts.instances.map((instance) => `${instance.name} :${instance.port}`).join(', ')}`,
    '',
    '  Orders by status with the Temporal CLI:',
    `    temporal workflow list --address ${temporal.address} --namespace ${facts.namespace} --query 'OrderStatus="CONFIRMED"'`,
    '',
    ...facts.tokens,
  ];
  for (const line of lines) say(line);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run start:cluster failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
