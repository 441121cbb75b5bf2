// The catalog replica: fed by catalog.product-updated, so the orders side keeps working when inventory is down.
import { randomUUID } from 'node:crypto';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { Database } from '../platform/store/database.js';
import type { Broker } from '../platform/messaging/broker.js';
import type { EventPublisher } from '../platform/messaging/publisher.js';
import { consumerSettings, startConsumer } from '../platform/messaging/consumer.js';
import { bindingsOf, dispatchTo, type Reactions } from '../platform/messaging/event-handler.js';
import { migrate } from '../platform/store/migrations.js';
import type { Queryable } from '../platform/store/database.js';
import { consumerQueueName } from '../platform/messaging/wire-names.js';
import { transactional } from '../platform/messaging/inbox-outbox.js';
import { createEvent } from '../platform/events/catalog.js';
import { catalogReplicaMigrations, createCatalogReplicaStore, type CatalogReplicaStore } from './store.js';

export { createCatalogReplicaStore, type CatalogReplicaStore, type ReplicaProduct } from './store.js';

/**
 * Each orders-side process that reads the catalog keeps its own replica (its own queue and schema):
 * an embedded store is only reachable from its own process, and a copy per reader is exactly the
 * "rely on data, not services" principle. Instances of one host share a queue and compete.
 */
export type ReplicaHost = 'api' | 'worker' | (string & {});

export interface CatalogReplicaOptions {
  host: ReplicaHost;
  config: Config;
  log: Logger;
  db: Database;
  broker: Broker;
  publisher: EventPublisher;
  /** How often an empty replica asks for the catalog again; see below. */
  snapshotRetryMs?: number;
}

export interface CatalogReplica {
  store: CatalogReplicaStore;
  stop(): Promise<void>;
}

export const catalogReplicaQueue = (exchange: string, host: string) => consumerQueueName(exchange, `catalog-replica.${host}`);
export const catalogReplicaSchema = (host: string) => `catalog_replica_${host.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;

export async function startCatalogReplica(options: CatalogReplicaOptions): Promise<CatalogReplica> {
  const { host, config, db, broker, publisher } = options;
  const log = options.log.child({ replica: host });
  const schema = catalogReplicaSchema(host);
  await migrate(db, schema, catalogReplicaMigrations);
  const store = createCatalogReplicaStore(db, schema);
  // The owner's catalog facts, applied in the transaction that claims the event in the inbox.
  const reactions: Reactions<[tx: Queryable]> = {
    'catalog.product-updated': async (event, tx) => {
      await createCatalogReplicaStore(tx, schema).apply(event.data);
    },
  };

  const consumer = startConsumer(broker, log, {
    queue: catalogReplicaQueue(config.EVENTS_EXCHANGE, host),
    bindings: bindingsOf(reactions),
    ...consumerSettings(config),
    handler: transactional(db, schema, dispatchTo(`catalog-replica.${host}`, reactions)),
  });

  await consumer.ready();
  // A new or wiped replica asks the owner for the whole catalog; its queue already exists, so the answer waits there.
  // It asks again while it stays empty: on a fresh broker a request published before the owner has declared its queue
  // is unroutable, and no answer would ever come (every order would be rejected for an unknown product).
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let requests = 0;
  const askWhileEmpty = async (): Promise<void> => {
    if (stopped || !(await store.isEmpty())) return;
    const requestId = `catalog.snapshot-requested:${host}:${randomUUID()}`;
    await publisher.publish(createEvent('catalog.snapshot-requested', { requestedBy: host }, { eventId: requestId, correlationId: requestId }));
    requests += 1;
    if (requests === 1) log.info('catalog replica empty; snapshot requested from inventory');
    else log.warn({ requests }, 'catalog replica still empty; snapshot requested again');
    if (stopped) return;
    retry = setTimeout(() => {
      askWhileEmpty().catch((error: unknown) => log.warn({ err: error }, 'could not request a catalog snapshot; will ask again'));
    }, options.snapshotRetryMs ?? SNAPSHOT_RETRY_MS);
    retry.unref();
  };
  await askWhileEmpty();

  return {
    store,
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      await consumer.stop();
    },
  };
}

const SNAPSHOT_RETRY_MS = 5_000;
