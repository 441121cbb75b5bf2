// `npm run bench:waiting`: thousands of orders waiting on inventory at once (inventory frozen), the worker's memory meanwhile, and the drain once it returns.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import amqplib from 'amqplib';
import { repositoryRoot } from '../scripts/local-servers/temporal-cli.js';
import { adminToken, startOwnStack, type OwnStack } from './own-stack.js';
import { discoverProcesses, STACK_PROCESS_PATTERNS } from './process-discovery.js';
import { listProcesses, listProcStats, processTree, treeMemoryBytes } from './process-stats.js';
import { PROBE_SKU, stockProbeProduct, TERMINAL_EVENT_TYPES } from './scenarios/full.js';
import { parseWaitingOptions, summariseWorker, WATCHED, type MemorySample, type WaitingReport } from './waiting-report.js';

const say = (line: string) => process.stdout.write(`bench:waiting | ${line}\n`);
const MIB = 2 ** 20;
const SAMPLE_INTERVAL_MS = 2_000;

/** Every order's events, as seen on a queue of the bench's own: the stack is never polled. */
async function watchOrders(stack: OwnStack) {
  const connection = await amqplib.connect(stack.amqpUrl);
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  for (const type of ['order.paid', ...TERMINAL_EVENT_TYPES]) await channel.bindQueue(queue, stack.eventsExchange, type);
  const paid = new Set<string>();
  const ended = new Map<string, string>();
  await channel.consume(queue, (message) => {
    if (!message) return;
    const event = JSON.parse(message.content.toString()) as { type: string; orderId?: string };
    if (!event.orderId) return;
    if (event.type === 'order.paid') paid.add(event.orderId);
    else if (!ended.has(event.orderId)) ended.set(event.orderId, event.type);
  }, { noAck: true });
  return { paid, ended, close: () => connection.close() };
}

/** SIGSTOP freezes a process tree (its consumer stops taking messages; the broker requeues them when its heartbeats stop), SIGCONT thaws it. */
function signalTree(root: number, signal: 'SIGSTOP' | 'SIGCONT') {
  for (const { pid } of processTree(root, listProcStats())) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone meanwhile.
    }
  }
}

async function until(condition: () => boolean, timeoutMs: number, what: string, stopped: AbortSignal) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (stopped.aborted) throw new Error(`interrupted while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 60_000} minutes`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
}

function placeOrder(stack: OwnStack, authorization: string, customerId: string): Promise<Response | Error> {
  return fetch(`${stack.apiUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({
      customerId,
      email: 'bench@example.com',
      items: [{ sku: PROBE_SKU, quantity: 1 }],
      paymentToken: 'tok_visa',
      shippingAddress: { name: 'Bench', line1: '1 Loop Road', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' },
    }),
  }).catch((error: unknown) => error as Error);
}

/** Places orders until one is CONFIRMED (seen on the events exchange), within a minute. */
async function confirmOneOrder(stack: OwnStack, authorization: string, orders: { ended: Map<string, string> }, stopped: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = 'none placed';
  while (Date.now() < deadline) {
    const response = await placeOrder(stack, authorization, 'waiting-warm-up');
    if (!(response instanceof Error) && response.status === 201) {
      const { orderId } = (await response.json()) as { orderId: string };
      await until(() => orders.ended.has(orderId), 30_000, `the warm-up order's outcome`, stopped);
      if (orders.ended.get(orderId) === 'order.confirmed') return;
      last = orders.ended.get(orderId)!;
    } else {
      last = response instanceof Error ? response.message : `POST /orders answered ${response.status}`;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
  }
  throw new Error(`no warm-up order was confirmed within a minute (last: ${last})`);
}

/** An order that ends while inventory is frozen did not wait on it, and the run would measure nothing: stop it. */
function endedWhileFrozen(ended: Map<string, string>): false {
  if (ended.size === 0) return false;
  const byType: Record<string, number> = {};
  for (const type of ended.values()) byType[type] = (byType[type] ?? 0) + 1;
  throw new Error(`orders ended while inventory was frozen (${JSON.stringify(byType)}); they never waited on it`);
}

async function main(): Promise<void> {
  const options = parseWaitingOptions(process.argv.slice(2));
  // Ctrl-C ends the run, but through the finally below: inventory thawed and the stack stopped, nothing left behind.
  const interrupted = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the stack`);
      process.exitCode = 130;
      interrupted.abort();
    });
  }
  // Long enough that no order is cancelled for waiting, and the watchdog's flag (a fifth of it) stays down too.
  const databaseUrl = options['database-url'];
  const stack = await startOwnStack({ log: say, settings: { INVENTORY_TIMEOUT: '6h', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) } });
  let inventoryPid: number | undefined;
  const began = performance.now();
  const seconds = () => Math.round((performance.now() - began) / 100) / 10;
  try {
    const authorization = `Bearer ${await adminToken(stack.jwtSecret)}`;
    await stockProbeProduct({ apiUrl: stack.apiUrl, authorization });
    const { found } = discoverProcesses(listProcesses(), STACK_PROCESS_PATTERNS, stack.pid);
    inventoryPid = found.inventory;
    if (inventoryPid === undefined || found.worker === undefined) throw new Error(`could not find the stack's inventory and worker processes (found ${Object.keys(found).join(', ')})`);
    const orders = await watchOrders(stack);
    // One order through the whole flow first: the worker's catalog replica has the probe product only once inventory's
    // snapshot reached it, and a frozen inventory answers no snapshot request (every order would be rejected).
    await confirmOneOrder(stack, authorization, orders, interrupted.signal);
    orders.paid.clear();
    orders.ended.clear();

    const samples: MemorySample[] = [];
    let phase: MemorySample['phase'] = 'filling';
    const sample = () => {
      const processes = listProcStats();
      const rss: MemorySample['rss'] = {};
      for (const name of WATCHED) {
        const root = found[name];
        if (root !== undefined) rss[name] = Math.round(treeMemoryBytes(processTree(root, processes).map((entry) => entry.pid)) / MIB);
      }
      samples.push({ at: seconds(), phase, waiting: orders.paid.size - orders.ended.size, rss });
    };
    sample();
    const sampler = setInterval(sample, SAMPLE_INTERVAL_MS);

    say(`freezing inventory (pid ${inventoryPid}) and placing ${options.orders} orders with ${options.concurrency} clients`);
    signalTree(inventoryPid, 'SIGSTOP');
    let next = 0;
    let placeErrors = 0;
    let firstPlaceError: string | undefined;
    const client = async () => {
      while (next < options.orders && !interrupted.signal.aborted) {
        const index = next++;
        const response = await placeOrder(stack, authorization, `waiting-${index % 1000}`);
        if (response instanceof Error || response.status !== 201) {
          placeErrors++;
          firstPlaceError ??= response instanceof Error ? response.message : `POST /orders answered ${response.status}: ${await response.text()}`;
        } else {
          await response.body?.cancel();
        }
        if (index > 0 && index % 1000 === 0) say(`${index} placed, ${orders.paid.size} waiting on inventory, worker ${samples.at(-1)?.rss.worker ?? '?'} MiB`);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, client));
    const accepted = options.orders - placeErrors;
    await until(() => orders.paid.size >= accepted || endedWhileFrozen(orders.ended), 30 * 60_000, `order.paid for all ${accepted} accepted orders`, interrupted.signal);
    const fillSeconds = seconds();
    const waitingAtFill = orders.paid.size - orders.ended.size;
    say(`all ${accepted} orders waiting after ${fillSeconds}s; resting ${options.rest}s with nothing moving`);
    sample();
    phase = 'resting';
    await new Promise((resolveRest) => {
      const timer = setTimeout(resolveRest, options.rest * 1000);
      interrupted.signal.addEventListener('abort', () => (clearTimeout(timer), resolveRest(undefined)), { once: true });
    });
    sample();

    phase = 'draining';
    say('thawing inventory');
    const drainBegan = performance.now();
    signalTree(inventoryPid, 'SIGCONT');
    inventoryPid = undefined;
    await until(() => orders.ended.size >= orders.paid.size, 90 * 60_000, `the outcome of all ${orders.paid.size} waiting orders`, interrupted.signal);
    const drainSeconds = Math.round((performance.now() - drainBegan) / 100) / 10;
    sample();
    clearInterval(sampler);
    await orders.close();

    const outcomes: Record<string, number> = {};
    for (const type of orders.ended.values()) outcomes[type] = (outcomes[type] ?? 0) + 1;
    const report: WaitingReport = {
      orders: options.orders,
      concurrency: options.concurrency,
      postgres: databaseUrl ? 'given' : 'own',
      fillSeconds,
      drainSeconds,
      outcomes,
      placeErrors,
      ...(firstPlaceError ? { firstPlaceError } : {}),
      worker: summariseWorker(samples, waitingAtFill),
      samples,
    };
    const directory = resolve(repositoryRoot, options.output);
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, 'waiting.json'), `${JSON.stringify(report, null, 2)}\n`);
    const { worker } = report;
    say(`${waitingAtFill} orders waited at once; worker ${worker.beforeMiB} MiB before, ${worker.filledMiB} filled, ${worker.restedMiB} after resting, peak ${worker.peakMiB} (${worker.perThousandWaitingMiB} MiB per thousand waiting)`);
    say(`drained in ${drainSeconds}s (${Math.round((orders.paid.size / drainSeconds) * 10) / 10} orders/s): ${JSON.stringify(outcomes)}`);
    say(`wrote ${join(directory, 'waiting.json')}`);
  } finally {
    if (inventoryPid !== undefined) signalTree(inventoryPid, 'SIGCONT');
    await stack.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`npm run bench:waiting failed: ${error instanceof Error ? error.message : String(error)}\n`);
    // Interrupted (Ctrl-C) is not a failure of the measurement; the stack was stopped all the same.
    process.exit(process.exitCode === 130 ? 130 : 1);
  },
);
