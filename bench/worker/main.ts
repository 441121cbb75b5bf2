// The bench worker process: runs the benchmark workflows on their own task queue and answers the AMQP hop, so its cost is measured as a process.
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ResourceStack, runMain } from '../../platform/lifecycle.js';
import { createLogger } from '../../platform/logger.js';
import { createBenchActivities } from './activities.js';
import { BENCH_WORKER_READY } from './contract.js';
import { startHopResponder } from './hop-responder.js';
import { parseBenchWorkerSettings } from './settings.js';

const log = createLogger('bench-worker');

runMain(log, async () => {
  const settings = parseBenchWorkerSettings();
  const resources = new ResourceStack(log);
  try {
    const responder = await startHopResponder({ amqpUrl: settings.AMQP_URL, exchange: settings.BENCH_EXCHANGE, prefetch: settings.BENCH_PREFETCH, log });
    resources.push('hop responder', () => responder.stop());
    // The signal back comes from a client of its own, as the order-outcome bridge's does.
    const clientConnection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS });
    resources.push('temporal client', () => clientConnection.close());
    const client = new Client({ connection: clientConnection, namespace: settings.TEMPORAL_NAMESPACE });
    const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS });
    resources.push('temporal connection', () => connection.close());
    const worker = await Worker.create({
      connection,
      namespace: settings.TEMPORAL_NAMESPACE,
      taskQueue: settings.BENCH_TASK_QUEUE,
      workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
      activities: createBenchActivities(client, (error) => log.error({ err: error }, 'could not signal the outcome back')),
      shutdownGraceTime: '2s',
    });
    const running = worker.run();
    resources.push('worker', async () => {
      worker.shutdown();
      await running;
    });
    running.catch((error: unknown) => log.fatal({ err: error }, 'bench worker stopped unexpectedly'));
    log.info({ taskQueue: settings.BENCH_TASK_QUEUE, exchange: settings.BENCH_EXCHANGE }, BENCH_WORKER_READY);
    return resources;
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
});
