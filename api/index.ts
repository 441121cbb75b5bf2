// API wiring: its store, the broker and its catalog replica, the Temporal client and the HTTP server, started and stopped in order.
import { listen } from '../platform/http/listen.js';
import type { Config } from '../platform/config.js';
import { ResourceStack, type Stoppable } from '../platform/lifecycle.js';
import type { Logger } from '../platform/logger.js';
import { connectBroker } from '../platform/messaging/broker.js';
import { createDeadLetters } from '../platform/messaging/dead-letters.js';
import { createEventPublisher, publisherSettings } from '../platform/messaging/publisher.js';
import { openDatabase } from '../platform/store/database.js';
import { migrate } from '../platform/store/migrations.js';
import { connectTemporalClient, ensureSearchAttributes } from '../platform/temporal/connection.js';
import { payloadKeysOf } from '../platform/temporal/data-converter.js';
import { startCatalogReplica } from '../catalog-replica/index.js';
import { armCrashPoints } from '../platform/crash-points.js';
import { createApp } from './app.js';
import { createTokenVerifier } from './http/auth.js';
import { serviceTokenOf } from '../platform/http/service-auth.js';
import { apiReadinessProbes } from './http/readiness.js';
import { API_SCHEMA, apiMigrations, createIdempotencyStore } from './orders/idempotency-store.js';
import { orderTaskQueue } from '../workflows/contract.js';
import { watchOrdersAwaitingInventory } from './orders/order-metrics.js';
import { createOrderWrites } from './orders/order-writes.js';

export const API_COMPONENT = 'api';

export interface RunningApi extends Stoppable {
  /** Where the API listens, e.g. http://127.0.0.1:3000 (the real port when PORT=0). */
  url: string;
}

export async function startApi(config: Config, log: Logger): Promise<RunningApi> {
  armCrashPoints(config.CRASH_AT);
  // Both checked before anything opens, so a missing secret stops the start at once, naming the variable.
  const verifyToken = createTokenVerifier(config);
  const serviceToken = serviceTokenOf(config, 'the api');
  // Before anything is opened: without the keys the API could neither start an order nor read one.
  const payloadKeys = payloadKeysOf(config);
  const resources = new ResourceStack(log);
  try {
    const db = await openDatabase({ component: API_COMPONENT, databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    resources.push('database', () => db.close());
    await migrate(db, API_SCHEMA, apiMigrations);

    const broker = await connectBroker(config.AMQP_URL, log, API_COMPONENT, { queueType: config.RABBITMQ_QUEUE_TYPE });
    resources.push('broker', () => broker.close());
    const publisher = createEventPublisher(broker, log, publisherSettings(config));
    resources.push('publisher', () => publisher.close());
    const replica = await startCatalogReplica({ host: API_COMPONENT, config, log, db, broker, publisher });
    resources.push('catalog replica', () => replica.stop());

    const temporal = await connectTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, payloadKeys, component: API_COMPONENT });
    resources.push('temporal connection', () => temporal.connection.close());
    // Orders are started with CustomerId and listed by the order attributes; the worker registers them too, whoever is first.
    await ensureSearchAttributes(temporal).catch((error: unknown) =>
      log.warn({ err: error }, 'could not make sure the order search attributes exist; listing orders may fail'),
    );

    resources.push('order metrics', watchOrdersAwaitingInventory(temporal, orderTaskQueue(config)));

    const app = createApp({
      config,
      log,
      temporal,
      payloadKeys,
      idempotency: createIdempotencyStore(db),
      orderWrites: createOrderWrites(db, API_SCHEMA),
      catalog: replica.store,
      readiness: apiReadinessProbes({ temporal, broker, db }),
      verifyToken,
      serviceToken,
      // Connects per operation (operators' calls are rare), so nothing to stop here.
      deadLetters: createDeadLetters({
        amqpUrl: config.AMQP_URL,
        managementUrl: config.RABBITMQ_MANAGEMENT_URL,
        exchange: config.EVENTS_EXCHANGE,
        log: log.child({ area: 'dead-letters' }),
        confirmTimeoutMs: config.PUBLISH_CONFIRM_TIMEOUT,
      }),
    });

    const { url, close } = await listen(app, { port: config.PORT, host: config.HOST, log });
    // Pushed last so it stops first: no new requests, in-flight ones finish, and only then do their dependencies close.
    resources.push('http server', close);
    log.info({ url, store: db.kind, namespace: config.TEMPORAL_NAMESPACE, taskQueue: orderTaskQueue(config) }, 'api started');
    return { url, stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}
