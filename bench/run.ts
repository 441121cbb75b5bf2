// `npm run bench`: the order flow and its baselines measured side by side in one run, in rotated rounds, on one stack.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../platform/config.js';
import { localSigningSecret, localStackSecret } from '../scripts/local-servers/dev-tokens.js';
import { connectTemporalClient } from '../platform/temporal/connection.js';
import { payloadKeysOf } from '../platform/temporal/data-converter.js';
import { createPaymentTokenSeal } from '../platform/temporal/payment-token-seal.js';
import { orderTaskQueue } from '../workflows/contract.js';
import { repositoryRoot } from '../scripts/local-servers/temporal-cli.js';
import { chartSvg, renderPng } from './chart.js';
import { runSegment, type SegmentResult } from './load-loop.js';
import { BenchOptionsError, parseBenchOptions, type BenchOptions } from './options.js';
import { adminToken, startOwnStack, type OwnStack } from './own-stack.js';
import { discoverProcesses, STACK_PROCESS_PATTERNS } from './process-discovery.js';
import { listProcesses } from './process-stats.js';
import { describeMachine, formatTable, ratiosOf, summariseScenario, type BenchReport } from './report.js';
import { ResourceMonitor } from './resource-monitor.js';
import { amqpScenario } from './scenarios/amqp.js';
import { fullScenario } from './scenarios/full.js';
import { orchestratedScenario } from './scenarios/orchestrated.js';
import { httpScenario } from './scenarios/http.js';
import type { Scenario, ScenarioName } from './scenarios/scenario.js';
import { emptyScenario, skeletonScenario } from './scenarios/temporal.js';
import { startBenchWorker, type BenchWorkerProcess } from './worker-process.js';

/** How long a segment's in-flight operations may take to finish before the next scenario starts. */
const DRAIN_MS = 30_000;

const say = (line: string) => process.stdout.write(`bench | ${line}\n`);

interface Target {
  apiUrl: string;
  temporalAddress: string;
  amqpUrl: string;
  eventsExchange: string;
  authorization: string;
  /** The product worker's task queue and the stack's payload keys (asked for only by a scenario that starts orders at Temporal itself). */
  orders: { taskQueue: string; payloadKeys: () => string };
  /** Process name → pid whose tree is measured. */
  processes: Record<string, number>;
  /** Why a process of the stack is not measured. */
  unmeasured: Record<string, string>;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof BenchOptionsError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const interrupted = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping after the current segment's in-flight operations, then cleaning up`);
      process.exitCode = 130;
      interrupted.abort();
    });
  }

  const cleanup: Array<[string, () => Promise<void>]> = [];
  const startedAt = new Date().toISOString();
  try {
    let stack: OwnStack | undefined;
    if (!options.url) {
      stack = await startOwnStack({ log: say });
      cleanup.unshift(['the stack', () => stack!.stop()]);
    }
    const target = await describeTarget(options, stack);
    if (interrupted.signal.aborted) return;

    const runId = randomUUID().slice(0, 8);
    const taskQueue = `bench-${runId}`;
    const hopExchange = `bench.${runId}`;
    const worker: BenchWorkerProcess = await startBenchWorker({ temporalAddress: target.temporalAddress, amqpUrl: target.amqpUrl, taskQueue, exchange: hopExchange });
    cleanup.unshift(['the bench worker', () => worker.stop()]);
    target.processes['bench-worker'] = worker.pid;
    for (const [name, why] of Object.entries(target.unmeasured)) say(`not measuring ${name}: ${why}`);

    const connection = await Connection.connect({ address: target.temporalAddress });
    cleanup.unshift(['the Temporal client', () => connection.close()]);
    const client = new Client({ connection });

    const scenarios: Scenario[] = [];
    cleanup.unshift(['the scenarios', async () => void (await Promise.allSettled(scenarios.map((scenario) => scenario.close())))]);
    const build: Record<ScenarioName, () => Promise<Scenario> | Scenario> = {
      http: () => httpScenario(target.apiUrl),
      empty: () => emptyScenario(client, taskQueue),
      skeleton: () => skeletonScenario(client, taskQueue, 'regular'),
      skeletonLocal: () => skeletonScenario(client, taskQueue, 'local'),
      amqp: () => amqpScenario(target.amqpUrl, hopExchange),
      full: () => fullScenario({ apiUrl: target.apiUrl, authorization: target.authorization, amqpUrl: target.amqpUrl, eventsExchange: target.eventsExchange }),
      orchestrated: async () => {
        const payloadKeys = payloadKeysOf(loadConfig({ PAYLOAD_KEYS: target.orders.payloadKeys() }));
        const orders = await connectTemporalClient({ address: target.temporalAddress, namespace: loadConfig().TEMPORAL_NAMESPACE, payloadKeys, component: 'bench' });
        cleanup.unshift(['the orders Temporal client', () => orders.connection.close()]);
        const seal = createPaymentTokenSeal(payloadKeys);
        return orchestratedScenario({ apiUrl: target.apiUrl, authorization: target.authorization, client: orders, taskQueue: target.orders.taskQueue, sealPaymentToken: seal.seal });
      },
    };
    for (const name of options.scenarios) scenarios.push(await build[name]());

    const shape = { concurrency: options.concurrency, ...(options.rate !== undefined ? { rate: options.rate } : {}) };
    say(`${describeLoad(options)}; warm-up ${options.warmupSeconds}s per scenario, then ${options.rounds} rounds of ${options.durationSeconds}s each`);
    for (const scenario of scenarios) {
      if (interrupted.signal.aborted) break;
      const warm = await runSegment(scenario, { shape, rampMs: 0, measureMs: options.warmupSeconds * 1000, drainMs: DRAIN_MS, stopped: interrupted.signal });
      say(`warmed up ${scenario.name}${warm.errors > 0 ? ` (${warm.errors} errors, first: ${warm.firstError})` : ''}`);
    }

    const monitor = new ResourceMonitor(target.processes);
    cleanup.unshift(['the resource monitor', async () => monitor.stop()]);
    const segments = new Map<ScenarioName, SegmentResult[]>();
    for (let round = 0; round < options.rounds && !interrupted.signal.aborted; round++) {
      // Each round starts one scenario later, so none always runs first (or right after the heaviest).
      const order = scenarios.map((_, index) => scenarios[(index + round) % scenarios.length]!);
      for (const scenario of order) {
        if (interrupted.signal.aborted) break;
        const result = await runSegment(scenario, {
          shape, rampMs: options.rampSeconds * 1000, measureMs: options.durationSeconds * 1000, drainMs: DRAIN_MS, monitor, stopped: interrupted.signal,
        });
        segments.set(scenario.name, [...(segments.get(scenario.name) ?? []), result]);
        const rate = ((result.completions * 1000) / result.measuredMs).toFixed(1);
        say(`round ${round + 1}/${options.rounds} ${scenario.name}: ${rate}/s${result.errors > 0 ? `, ${result.errors} errors (first: ${result.firstError})` : ''}`);
      }
    }
    if (interrupted.signal.aborted) return;

    const report: BenchReport = {
      machine: describeMachine(),
      config: {
        ...describeOptions(options),
        stack: options.url ? `given: ${options.url}` : 'its own (npm start on free ports, fresh data folder)',
        commit: currentCommit(),
        settings: stackSettings(),
      },
      startedAt,
      finishedAt: new Date().toISOString(),
      scenarios: Object.fromEntries(
        options.scenarios.map((name) => [name, summariseScenario(segments.get(name) ?? [], monitor.peaksOf(name), options.concurrency)]),
      ),
      ratios: {},
    };
    report.ratios = ratiosOf(report.scenarios);
    process.stdout.write(`\n${formatTable(report)}\n\n`);
    await writeReport(report, resolve(repositoryRoot, options.outputDir));
  } finally {
    for (const [what, stop] of cleanup) {
      await stop().catch((error: unknown) => say(`could not stop ${what}: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
}

async function describeTarget(options: BenchOptions, stack: OwnStack | undefined): Promise<Target> {
  if (stack) {
    const { found, absent } = discoverProcesses(listProcesses(), STACK_PROCESS_PATTERNS.filter((pattern) => pattern.name !== 'bench-worker'), stack.pid);
    return {
      apiUrl: stack.apiUrl,
      temporalAddress: stack.temporalAddress,
      amqpUrl: stack.amqpUrl,
      eventsExchange: stack.eventsExchange,
      authorization: `Bearer ${await adminToken(stack.jwtSecret)}`,
      orders: { taskQueue: stack.orderTaskQueue, payloadKeys: () => stack.payloadKeys },
      processes: found,
      unmeasured: absent,
    };
  }
  const { found, absent } = discoverProcesses(listProcesses(), STACK_PROCESS_PATTERNS.filter((pattern) => pattern.name !== 'bench-worker'));
  for (const name of Object.keys(options.pids)) delete absent[name];
  // BENCH_TOKEN: an admin's token from your identity provider; otherwise one signed with the local stack's secret.
  const config = loadConfig();
  const token = process.env.BENCH_TOKEN ?? (await adminToken(localSigningSecret(config)));
  return {
    apiUrl: options.url!,
    temporalAddress: options.temporalAddress,
    amqpUrl: options.amqpUrl,
    eventsExchange: options.eventsExchange,
    authorization: `Bearer ${token}`,
    orders: { taskQueue: orderTaskQueue(config), payloadKeys: () => localStackSecret('PAYLOAD_KEYS', config) },
    processes: { ...found, ...options.pids },
    unmeasured: absent,
  };
}

function describeLoad(options: BenchOptions): string {
  return options.rate !== undefined ? `open loop at ${options.rate}/s` : `closed loop of ${options.concurrency} clients`;
}

function describeOptions(options: BenchOptions): Record<string, unknown> {
  return {
    concurrency: options.concurrency,
    rate: options.rate ?? null,
    durationSeconds: options.durationSeconds,
    rounds: options.rounds,
    warmupSeconds: options.warmupSeconds,
    rampSeconds: options.rampSeconds,
    quick: options.quick,
    scenarios: options.scenarios,
  };
}

/** The settings a tuning experiment varies, as this run had them (empty: the defaults). */
function stackSettings(): Record<string, string> {
  const varied = /^(TEMPORAL_DEV_|WORKER_|CONSUMER_PREFETCH$|OUTBOX_)/;
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => varied.test(entry[0]) && entry[1] !== undefined));
}

function currentCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repositoryRoot, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function writeReport(report: BenchReport, directory: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const svg = chartSvg(report);
  await writeFile(join(directory, 'latest.svg'), svg);
  const png = join(directory, 'latest.png');
  const rendered = await renderPng(svg, png).catch((error: unknown) => {
    say(`could not render the PNG chart: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  });
  say(`wrote ${join(directory, 'latest.json')}, latest.svg${rendered ? ' and latest.png' : ' (no Chromium here for the PNG)'}`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`npm run bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
