// Runs a RabbitMQ node of its own (own data dir, ports and node name) from the installed rabbitmq-server.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { brokerDefinitions, withCredentials, type BrokerAccount, type BrokerCredentials } from '../../platform/messaging/broker-users.js';
import { findFreePort } from './ports.js';
import { spawnServer, waitUntilReady, type ExitWatch, type ProgressLog, type RestartableServer } from './server-process.js';
import { findOnPath, isExecutable } from './temporal-cli.js';

export interface RabbitNodeOptions {
  /** Holds the node's config, database and logs; reusing it keeps queues across restarts. */
  dataDir: string;
  port: number;
  managementPort: number;
  /** Erlang distribution port; a free one is picked when omitted, so several nodes can run side by side. */
  distPort?: number;
  /** Must be unique among running nodes on this host (epmd); a random one is used when omitted. */
  nodeName?: string;
  /**
   * Who may log in, imported as definitions at every boot: the node never creates guest, and each start's passwords
   * replace the last. The first administrator is the one `url` carries and the readiness probe uses.
   */
  accounts: readonly BrokerAccount[];
  /**
   * The Erlang cookie, which nodes of one cluster (and the CLI tools talking to them) must share. Omitted: the node makes
   * its own on the first start, which is all a node on its own needs.
   */
  erlangCookie?: string;
  log: ProgressLog;
  /** @default 60_000 */
  readyTimeoutMs?: number;
}

export interface RabbitNode extends RestartableServer {
  nodeName: string;
  /** The AMQP port. */
  port: number;
  /** The AMQP URL, as the administrator. */
  url: string;
  /** The management UI and API, without credentials. */
  managementUrl: string;
  administrator: BrokerCredentials;
  /** Runs `rabbitmqctl` against this node, with its cookie; resolves to its output. */
  ctl(args: string[], timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
  /** Resolves if the server process ends, whether stopped or crashed. */
  readonly exited: ExitWatch;
}

export class RabbitMqNotInstalledError extends Error {
  override readonly name = 'RabbitMqNotInstalledError';
  constructor() {
    super('rabbitmq-server was not found: install rabbitmq-server (Debian: apt-get install rabbitmq-server; macOS: brew install rabbitmq) or set AMQP_URL');
  }
}

/**
 * Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user and the system node's files; the script
 * behind it runs a node wherever the environment points it, as any user.
 */
export async function findRabbitMqServer(): Promise<string | undefined> {
  const debian = '/usr/lib/rabbitmq/bin/rabbitmq-server';
  if (await isExecutable(debian)) return debian;
  return findOnPath('rabbitmq-server', ['/opt/homebrew/sbin', '/usr/local/sbin', '/usr/sbin']);
}

/** Where a node started here listens, as whom: known before it answers, so clients can be started alongside it. */
/** rabbitmqctl beside the server script (Debian keeps both in /usr/lib/rabbitmq/bin). */
async function findRabbitMqCtl(server: string): Promise<string | undefined> {
  const beside = join(dirname(server), 'rabbitmqctl');
  if (await isExecutable(beside)) return beside;
  return findOnPath('rabbitmqctl', ['/opt/homebrew/sbin', '/usr/local/sbin', '/usr/sbin']);
}

export function rabbitNodeUrl(port: number, credentials: BrokerCredentials): string {
  return withCredentials(`amqp://127.0.0.1:${port}`, credentials);
}

const run = promisify(execFile);

export class RabbitNodeAccountsError extends Error {
  override readonly name = 'RabbitNodeAccountsError';
}

export async function startRabbitNode(options: RabbitNodeOptions): Promise<RabbitNode> {
  const { port, managementPort, log } = options;
  const administrator = options.accounts.find((account) => account.tags.includes('administrator'));
  if (!administrator) throw new RabbitNodeAccountsError('a RabbitMQ node needs an administrator among its accounts');
  const executable = await findRabbitMqServer();
  if (!executable) throw new RabbitMqNotInstalledError();

  const dataDir = resolve(options.dataDir);
  const nodeName = options.nodeName ?? `ensemble-${randomUUID().slice(0, 8)}@localhost`;
  const distPort = options.distPort ?? (await findFreePort());
  await mkdir(join(dataDir, 'mnesia'), { recursive: true });
  await mkdir(join(dataDir, 'log'), { recursive: true });
  const configFile = join(dataDir, 'rabbitmq.conf');
  const pluginsFile = join(dataDir, 'enabled_plugins');
  const definitionsFile = join(dataDir, 'definitions.json');
  // Password hashes only, readable by the owner alone.
  await writeFile(definitionsFile, JSON.stringify(brokerDefinitions(options.accounts)), { mode: 0o600 });
  await chmod(definitionsFile, 0o600);
  await writeFile(
    configFile,
    [
      `listeners.tcp.default = 127.0.0.1:${port}`,
      `management.tcp.port = ${managementPort}`,
      'management.tcp.ip = 127.0.0.1',
      // Imported before the listeners open, so the users exist by the time anyone can connect; no guest is created.
      `load_definitions = ${definitionsFile}`,
      '',
    ].join('\n'),
  );
  await writeFile(pluginsFile, '[rabbitmq_management].\n');
  if (options.erlangCookie !== undefined) {
    // Erlang refuses a cookie file anyone but its owner can read; an old read-only one is removed first so it can be replaced.
    const cookieFile = join(dataDir, '.erlang.cookie');
    await rm(cookieFile, { force: true });
    await writeFile(cookieFile, options.erlangCookie, { mode: 0o400 });
  }

  const url = rabbitNodeUrl(port, administrator);
  const managementUrl = `http://127.0.0.1:${managementPort}`;
  log.info({ url: `amqp://127.0.0.1:${port}`, managementUrl, nodeName, dataDir }, 'starting RabbitMQ node');
  const nodeEnvironment: NodeJS.ProcessEnv = {
    ...process.env,
    // The Erlang cookie lives in $HOME; ours keeps nodes from touching the user's or the system node's cookie.
    HOME: dataDir,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_MNESIA_BASE: join(dataDir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dataDir, 'log'),
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
    RABBITMQ_DIST_PORT: String(distPort),
    // Without these, a RABBITMQ_* variable meant for the system node could leak into ours.
    RABBITMQ_CONF_ENV_FILE: join(dataDir, 'rabbitmq-env.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dataDir, 'advanced.config'),
  };
  const authorization = `Basic ${Buffer.from(`${administrator.username}:${administrator.password}`).toString('base64')}`;
  // A restart boots the same node name on the same database: a cluster member rejoins its cluster and its queue replicas.
  const launch = async () => {
    const server = spawnServer('rabbitmq', executable, [], { cwd: dataDir, env: nodeEnvironment });

    await waitUntilReady(
      server,
      `RabbitMQ node ${nodeName} (port ${port}, management ${managementPort})`,
      async () => {
        const response = await fetch(`${managementUrl}/api/overview`, { headers: { authorization }, signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        return response.ok && (await acceptsConnections(port));
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 500 },
    );
    return server;
  };
  let server = await launch();
  log.info({ url: `amqp://127.0.0.1:${port}` }, 'RabbitMQ node ready');
  // A node whose database was made before it imported definitions still has guest; definitions add users, never remove them.
  const guest = await fetch(`${managementUrl}/api/users/guest`, { method: 'DELETE', headers: { authorization }, signal: AbortSignal.timeout(5_000) });
  await guest.body?.cancel();
  if (guest.ok) log.warn('removed the guest user this node was created with');

  const ctlPath = await findRabbitMqCtl(executable);
  return {
    nodeName,
    port,
    url,
    managementUrl,
    administrator: { username: administrator.username, password: administrator.password },
    async ctl(args, timeoutMs = 60_000) {
      if (!ctlPath) throw new RabbitMqNotInstalledError();
      try {
        // The node's own environment: the same HOME (its cookie) and node name.
        const { stdout } = await run(ctlPath, ['-n', nodeName, ...args], { cwd: dataDir, env: nodeEnvironment, timeout: timeoutMs });
        return stdout;
      } catch (error) {
        throw new Error(`rabbitmqctl -n ${nodeName} ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr?.trim() || String(error)}`, { cause: error });
      }
    },
    stop: () => server.stop({ signal: 'SIGTERM', graceMs: 20_000 }),
    get exited() {
      return server.exited;
    },
    async restart() {
      server = await launch();
    },
  };
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(2_000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
