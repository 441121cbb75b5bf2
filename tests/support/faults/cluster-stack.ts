// The production-shaped stack under test: `npm run start:cluster` started as a user would, its banner read, its processes found to break them.
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configVariables } from '../../../platform/config.js';
import { repositoryRoot } from '../../../scripts/local-servers/temporal-cli.js';
import { demoCatalog } from '../../../event-handlers/inventory/demo-catalog.js';
import type { Endpoints } from '../http.js';
import { TEST_SECRETS } from '../secrets.js';
import { killGroup, killSupervisor, spawnCaptured, tail, waitForOutput, type Supervised } from '../supervisor.js';

/** A fresh machine builds the Temporal server first (about six minutes on two cores); a built one starts in under a minute. */
export const CLUSTER_START_TIMEOUT_MS = 15 * 60_000;

export interface ClusterStack {
  supervisor: Supervised;
  /** Holds every server's data (CLUSTER_DATA_DIR is `cluster` inside it), so the stack's processes are found by it. */
  workDir: string;
  /** What the supervisor printed up to its banner. */
  banner: string;
  apis: [string, string];
  /** Each instance's own HTTP surface (`inventory#1` → http://127.0.0.1:port), where its /health answers once it is up. */
  instances: Record<string, string>;
  /**
   * The ledger's view: API #1 and instance 1's owner surfaces. Any instance will do, as both instances of a component
   * share one store; the ledger retries while an instance it reads is restarting.
   */
  endpoints: Endpoints & { managementUrl: string };
  stop(): Promise<void>;
}

export async function startClusterStack(): Promise<ClusterStack> {
  const workDir = await mkdtemp(join(tmpdir(), 'ensemble-cluster-'));
  // As root, PostgreSQL runs as the postgres user, who must be able to reach its data directory inside this one.
  await chmod(workDir, 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Settings from the developer's shell (a DATABASE_URL, an AMQP_URL) must not leak into the stack under test.
  for (const variable of configVariables) delete env[variable];
  const supervisor = spawnCaptured(process.execPath, ['--import', 'tsx', 'scripts/start-cluster.ts'], {
    cwd: repositoryRoot,
    env: {
      ...env,
      NO_COLOR: '1',
      // The test's own secrets (the environment wins over generated ones), so its helpers' admin tokens are accepted.
      ...TEST_SECRETS,
      DATA_DIR: join(workDir, 'data'),
      CLUSTER_DATA_DIR: join(workDir, 'cluster'),
      LOG_LEVEL: 'warn',
      WORKER_SHUTDOWN_GRACE: '2s',
    },
  });
  const stop = async () => {
    await killSupervisor(supervisor);
    // A supervisor killed mid-way cannot stop its servers; they are found by their data directories, all in workDir.
    for (const pid of processesNaming(workDir)) {
      killGroup(pid);
      // Not every one leads its group (a node's VM is its start script's child).
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    await waitForOutput(supervisor, /Ensemble \(production-shaped\) is running\. Ctrl-C stops everything\./, CLUSTER_START_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  const banner = supervisor.output();
  const find = (pattern: RegExp) => {
    const match = pattern.exec(banner);
    if (!match) throw new Error(`no ${String(pattern)} in the banner:\n${tail(banner)}`);
    return match;
  };
  const instancePorts = Object.fromEntries([...find(/^.*Instances +(.+)$/m)[1]!.matchAll(/(\S+) :(\d+)/g)].map((match) => [match[1]!, Number(match[2])]));
  const surface = (instance: string) => `http://127.0.0.1:${instancePorts[instance]}`;
  const managementUrl = find(/RabbitMQ management UI +(\S+)/)[1]!;
  const [, username, password] = find(/RabbitMQ management UI +\S+ +\((\S+) \/ (\S+), this run only\)/);
  const withCredentials = new URL(managementUrl);
  withCredentials.username = encodeURIComponent(username!);
  withCredentials.password = encodeURIComponent(password!);
  const apis: [string, string] = [find(/API #1 +(http:\/\/\S+)/)[1]!, find(/API #2 +(http:\/\/\S+)/)[1]!];
  const endpointsOf = (number: 1 | 2) => ({
    api: apis[number - 1]!,
    paymentProvider: surface('payment-provider'),
    inventory: surface(`inventory#${number}`),
    notifications: surface(`notifications#${number}`),
    carrier: surface('carrier'),
    shipping: surface(`shipping#${number}`),
    managementUrl: withCredentials.toString().replace(/\/$/, ''),
  });
  return {
    supervisor,
    workDir,
    banner,
    apis,
    instances: Object.fromEntries(Object.keys(instancePorts).map((instance) => [instance, surface(instance)])),
    endpoints: endpointsOf(1),
    stop,
  };
}

/** Every process's command line, as its arguments. */
function commandLines(): { pid: number; args: string[] }[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((entry) => {
    try {
      return [{ pid: Number(entry), args: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0') }];
    } catch {
      return [];
    }
  });
}

/**
 * Processes whose command line holds `args` in a row. The supervisor prints no pids for its servers, and need not:
 * each is told apart by its data (a node's Erlang VM by `-home <its directory>`, PostgreSQL by `-D <its directory>`,
 * the Temporal server by its configuration file), which is how an operator finds one with ps too.
 */
export function processesWithArguments(args: string[]): number[] {
  return commandLines()
    .filter(({ args: line }) => line.some((_, index) => args.every((arg, offset) => line[index + offset] === arg)))
    .map(({ pid }) => pid);
}

/** Processes with `directory` in an argument: the servers of the stack under test, whose data all lives there. */
export function processesNaming(directory: string): number[] {
  return commandLines().filter(({ pid, args }) => pid !== process.pid && args.some((arg) => arg.includes(directory))).map(({ pid }) => pid);
}

/**
 * Dead letters the stack starts with, which no scenario answers for: inventory publishes the seeded demo catalog
 * before the API and the worker declare their catalog-replica queues, so those first product updates are unroutable.
 */
export const STARTUP_DEAD_LETTERS: Record<string, number> = { 'ensemble.events.unroutable': demoCatalog.length };

/** The one process with these arguments; a test that means to break a server must find exactly it. */
export function theProcessWith(args: string[]): number {
  const pids = processesWithArguments(args);
  if (pids.length !== 1) throw new Error(`expected one process with ${args.join(' ')}, found ${pids.length}`);
  return pids[0]!;
}
