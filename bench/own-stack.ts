// The stack `npm run bench` starts for itself when not given one: npm start on free ports, a fresh data folder, no rate limit.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findFreePort } from '../scripts/local-servers/ports.js';
import { temporaryDataParent } from '../scripts/local-servers/postgres-server.js';
import { repositoryRoot } from '../scripts/local-servers/temporal-cli.js';
import { waitForHealth } from '../scripts/local-servers/wait-for-health.js';
import { orderTaskQueue } from '../workflows/contract.js';
import { loadConfig } from '../platform/config.js';
import { DEMO_ADMIN_ID, mintDevToken } from '../scripts/local-servers/dev-tokens.js';

export interface OwnStack {
  apiUrl: string;
  temporalAddress: string;
  /** The run's broker administrator, who may declare the bench's own exchange and queues. */
  amqpUrl: string;
  eventsExchange: string;
  /** The API's token secret, generated under the run's data folder. */
  jwtSecret: string;
  /** The stack's PAYLOAD_KEYS, for a Temporal client that starts orders itself (the orchestrated scenario). */
  payloadKeys: string;
  /** The product worker's task queue. */
  orderTaskQueue: string;
  /** npm start's supervisor: every process of the stack is in its tree. */
  pid: number;
  stop(): Promise<void>;
}

const PORT_VARIABLES = [
  'PORT', 'PAYMENT_PROVIDER_PORT', 'INVENTORY_PORT', 'NOTIFICATIONS_PORT', 'ORDER_OUTCOME_PORT', 'ORDER_VIEW_PORT', 'CARRIER_PORT', 'SHIPPING_PORT',
  'WORKER_METRICS_PORT', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'RABBITMQ_PORT', 'RABBITMQ_MANAGEMENT_PORT', 'POSTGRES_PORT',
] as const;
const READY_TIMEOUT_MS = 5 * 60_000;
const STOP_GRACE_MS = 60_000;

/**
 * Starts npm start as a child, exactly as a developer runs it, except: its own ports and data folder (so a running
 * dev stack is neither disturbed nor measured), and a rate limit no bench load reaches (it would measure the limit).
 * `settings` is passed on, e.g. TEMPORAL_DEV_SQLITE_PRAGMAS to compare server settings.
 */
export async function startOwnStack(options: { log: (line: string) => void; settings?: NodeJS.ProcessEnv }): Promise<OwnStack> {
  // As root, the stack's PostgreSQL runs as the postgres user, and keeps its data here (removed with the rest) only if
  // that user can reach it.
  const dataDir = await temporaryDataParent('ensemble-bench-');
  const ports = Object.fromEntries(await Promise.all(PORT_VARIABLES.map(async (name) => [name, String(await findFreePort())] as const)));
  const env: NodeJS.ProcessEnv = {
    ...withoutStackAddresses(process.env),
    ...options.settings,
    ...ports,
    DATA_DIR: dataDir,
    RATE_LIMIT_PER_MINUTE: '1000000',
    RABBITMQ_NODE_NAME: `ensemble-bench-${randomUUID().slice(0, 8)}@localhost`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    NO_COLOR: '1',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: repositoryRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > 200) output.shift();
    });
  }
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const apiUrl = `http://127.0.0.1:${ports.PORT}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // npm start stops its components in order on SIGTERM; the group kill is for a stack that does not.
      child.kill('SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  options.log(`starting a stack of its own (npm start, data in ${dataDir})`);
  try {
    // The worker too: it starts once its workflow bundle is built, which may be after the API answers.
    await waitForReady('the API', apiUrl, exited);
    await waitForReady('the worker', `http://127.0.0.1:${ports.WORKER_METRICS_PORT}`, exited);
    // The banner comes after /health; the credentials file and secrets are written before any component starts.
    const credentials = JSON.parse(await readFile(join(dataDir, 'rabbitmq', 'credentials.json'), 'utf8')) as { admin: { amqpUrl: string } };
    const secrets = JSON.parse(await readFile(join(dataDir, 'local-secrets.json'), 'utf8')) as { JWT_SECRET: string; PAYLOAD_KEYS: string };
    options.log(`its stack is up (npm start pid ${child.pid}): API ${apiUrl}, Temporal 127.0.0.1:${ports.TEMPORAL_PORT}`);
    return {
      apiUrl,
      temporalAddress: `127.0.0.1:${ports.TEMPORAL_PORT}`,
      amqpUrl: credentials.admin.amqpUrl,
      eventsExchange: env.EVENTS_EXCHANGE ?? 'ensemble.events',
      jwtSecret: process.env.JWT_SECRET ?? secrets.JWT_SECRET,
      payloadKeys: process.env.PAYLOAD_KEYS ?? secrets.PAYLOAD_KEYS,
      orderTaskQueue: orderTaskQueue(env),
      pid: child.pid!,
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nnpm start's last output:\n${output.slice(-40).join('\n')}`);
  }
}

/** An own stack runs its own servers: addresses of another stack in the caller's environment must not leak into it. */
function withoutStackAddresses(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of ['TEMPORAL_ADDRESS', 'AMQP_URL', 'DATABASE_URL', 'RABBITMQ_MANAGEMENT_URL', 'TEMPORAL_UI_URL']) delete copy[name];
  for (const name of Object.keys(copy)) if (name.endsWith('_URL') && name !== 'JWT_JWKS_URL') delete copy[name];
  return copy;
}

/** Like npm start's banner, waits for `what` to answer /health; fails if npm start exits first or the wait runs out. */
async function waitForReady(what: string, url: string, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  if (await waitForHealth(what, url, () => gone || Date.now() >= deadline, () => undefined)) return;
  throw new Error(gone ? `npm start exited before ${what} answered` : `${what} did not answer ${url}/health within ${READY_TIMEOUT_MS / 60_000} minutes`);
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** An operator's token signed with the stack's secret: the bench writes the catalog and orders for many customers. */
export async function adminToken(secret: string): Promise<string> {
  const config = loadConfig();
  return mintDevToken({ secret, JWT_ISSUER: config.JWT_ISSUER, JWT_AUDIENCE: config.JWT_AUDIENCE }, { sub: DEMO_ADMIN_ID, role: 'admin', expiresIn: '4h' });
}
