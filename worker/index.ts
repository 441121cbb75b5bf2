// The Temporal worker on task queue `orders`: runs order workflows (and the pure-orchestration yardstick) and their activities, with its own catalog replica.
import { serviceTokenOf } from '../platform/http/service-auth.js';
import { existsSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { ResourceStack } from '../platform/lifecycle.js';
import { openDatabase } from '../platform/store/database.js';
import { connectBroker } from '../platform/messaging/broker.js';
import { createEventPublisher, publisherSettings } from '../platform/messaging/publisher.js';
import { startCatalogReplica, type CatalogReplica } from '../catalog-replica/index.js';
import { createActivities } from '../activities/index.js';
import { createPaymentProviderClient } from '../activities/payment-provider-client.js';
import { createComponentCallsClient } from '../activities/component-calls-client.js';
import { createOrchestratedSteps } from '../activities/orchestrated-steps.js';
import { armCrashPoints } from '../platform/crash-points.js';
import { orderTaskQueue } from '../workflows/contract.js';
import { payloadKeysOf, workerDataConverter } from '../platform/temporal/data-converter.js';
import { createPaymentTokenSeal } from '../platform/temporal/payment-token-seal.js';
import { listen } from '../platform/http/listen.js';
import { addExpositionSource } from '../platform/observability/metrics.js';
import { installTemporalRuntime, scrapeCoreMetrics } from '../platform/observability/temporal-runtime.js';
import { createWorkerApp } from './http.js';
import { orderOutcomeSinks } from './order-metrics.js';
import { activityTracing, workflowSpanSinks } from './tracing.js';
import { workflowInterceptorModules, workflowsPath } from './workflow-bundle.js';

export interface RunningWorker {
  catalog: CatalogReplica;
  /** Where /health and /metrics answer, e.g. http://127.0.0.1:3500. */
  url: string;
  stop(): Promise<void>;
}

export interface WorkerOverrides {
  /** A prebuilt workflow bundle (tests bundle once for many workers): bundleOrderWorkflows() in ./workflow-bundle.ts. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function startWorker(config: Config, log: Logger, overrides: WorkerOverrides = {}): Promise<RunningWorker> {
  armCrashPoints(config.CRASH_AT);
  // The payment stand-in answers only to holders of the service credential; missing, the worker could never pay.
  const serviceToken = serviceTokenOf(config, 'the worker');
  // Before anything is opened: a worker without the keys could not read a single order.
  const payloadKeys = payloadKeysOf(config);
  const workflowBundle = overrides.workflowBundle ?? prebuiltWorkflowBundle(config);
  const resources = new ResourceStack(log);
  try {
    // Before any connection: the SDK's logs and metrics are set up by the runtime's installation.
    const runtime = await installTemporalRuntime(log);
    const { coreMetricsUrl } = runtime;
    if (coreMetricsUrl) resources.push('temporal core metrics', addExpositionSource(() => scrapeCoreMetrics(coreMetricsUrl)));
    // Until the SDK's worker exists, /health says it is starting.
    let workerState = (): string | undefined => undefined;
    const http = await listen(createWorkerApp({ log, workerState: () => workerState() }), { port: config.WORKER_METRICS_PORT, host: config.HOST, log });
    resources.push('http server', () => http.close());
    const db = await openDatabase({ component: 'worker', databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    resources.push('database', () => db.close());
    const broker = await connectBroker(config.AMQP_URL, log, 'worker', { queueType: config.RABBITMQ_QUEUE_TYPE });
    resources.push('broker', () => broker.close());
    const publisher = createEventPublisher(broker, log, publisherSettings(config));
    resources.push('publisher', () => publisher.close());
    const catalog = await startCatalogReplica({ host: 'worker', config, log, db, broker, publisher });
    resources.push('catalog replica', () => catalog.stop());

    const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    resources.push('temporal connection', () => connection.close());
    const worker = await Worker.create({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: orderTaskQueue(config),
      dataConverter: workerDataConverter(payloadKeys),
      ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
      // workflowModules only matter when the worker bundles; a prebuilt bundle already has them (./workflow-bundle.ts).
      interceptors: { activity: activityTracing, ...(workflowBundle ? {} : { workflowModules: workflowInterceptorModules }) },
      sinks: { ...orderOutcomeSinks, ...workflowSpanSinks() },
      activities: {
        ...createActivities({
          catalog: catalog.store,
          payments: createPaymentProviderClient({ baseUrl: config.PAYMENT_PROVIDER_URL, serviceToken }),
          publisher,
          paymentTokens: createPaymentTokenSeal(payloadKeys),
        }),
        // The pure-orchestration flow's calls (workflows/orchestrated-order-workflow.ts), for the bench's comparison.
        ...createOrchestratedSteps(createComponentCallsClient({ inventoryUrl: config.INVENTORY_URL, notificationsUrl: config.NOTIFICATIONS_URL, serviceToken })),
      },
      // In-flight activities get this long to finish on shutdown before they are cancelled and retried elsewhere.
      shutdownGraceTime: config.WORKER_SHUTDOWN_GRACE,
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    });
    const running = worker.run();
    workerState = () => worker.getState();
    resources.push('worker', async () => {
      worker.shutdown();
      await running;
    });
    running.catch((error: unknown) => log.fatal({ err: error }, 'worker stopped unexpectedly'));
    log.info({ taskQueue: orderTaskQueue(config), url: http.url, heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20), workflowBundle: overrides.workflowBundle ? 'given' : (config.WORKER_WORKFLOW_BUNDLE ?? 'bundled in this process') }, 'worker polling');
    return { catalog, url: http.url, stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}

/** The bundle npm start or the image built ahead (WORKER_WORKFLOW_BUNDLE); none, and the worker bundles for itself. */
function prebuiltWorkflowBundle(config: Config): WorkerOptions['workflowBundle'] {
  const codePath = config.WORKER_WORKFLOW_BUNDLE;
  if (!codePath) return undefined;
  if (!existsSync(codePath)) throw new Error(`WORKER_WORKFLOW_BUNDLE: no workflow bundle at ${codePath} (npm run build:workflows -- ${codePath} builds one)`);
  return { codePath };
}
