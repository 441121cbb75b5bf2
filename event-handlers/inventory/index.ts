// Inventory wiring: store, broker, outbox relay, the event consumer and the HTTP surface, started and stopped in order.
import { serviceTokenOf } from '../../platform/http/service-auth.js';
import { listen } from '../../platform/http/listen.js';
import type { Config } from '../../platform/config.js';
import { ResourceStack, type Stoppable } from '../../platform/lifecycle.js';
import type { Logger } from '../../platform/logger.js';
import { connectBroker } from '../../platform/messaging/broker.js';
import { consumerSettings, startConsumer } from '../../platform/messaging/consumer.js';
import { createJournal, journalSettlements } from '../../platform/observability/journal.js';
import { bindingsOf, dispatchTo } from '../../platform/messaging/event-handler.js';
import { transactional } from '../../platform/messaging/inbox-outbox.js';
import { consumerQueueName } from '../../platform/messaging/wire-names.js';
import { startOutboxRelay } from '../../platform/messaging/outbox-relay.js';
import { createEventPublisher, publisherSettings } from '../../platform/messaging/publisher.js';
import { openDatabase, type Database } from '../../platform/store/database.js';
import { migrate } from '../../platform/store/migrations.js';
import { armCrashPoints, crashPoint } from '../../platform/crash-points.js';
import { seedDemoCatalog } from './demo-catalog.js';
import { inventoryReactions } from './handlers.js';
import { createInventoryApp } from './http.js';
import { INVENTORY_SCHEMA, inventoryMigrations } from './store.js';

export const INVENTORY_COMPONENT = 'inventory';
/** 'inventory' on the standard exchange, prefixed with the exchange otherwise (see consumerQueueName). */
export const inventoryQueueName = (exchange: string) => consumerQueueName(exchange, INVENTORY_COMPONENT);

export interface RunningInventory extends Stoppable {
  /** Where the HTTP surface listens, e.g. http://127.0.0.1:3200. */
  url: string;
  queue: string;
  db: Database;
}

export async function startInventory(config: Config, log: Logger): Promise<RunningInventory> {
  armCrashPoints(config.CRASH_AT);
  // Checked before anything opens: without it the surface could not tell its callers from the public.
  const serviceToken = serviceTokenOf(config, 'inventory');
  const resources = new ResourceStack(log);
  try {
    const db = await openDatabase({ component: INVENTORY_COMPONENT, databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    resources.push('database', () => db.close());
    await migrate(db, INVENTORY_SCHEMA, inventoryMigrations);
    if (config.SEED_DEMO_CATALOG) await seedDemoCatalog(db, log);

    const broker = await connectBroker(config.AMQP_URL, log, INVENTORY_COMPONENT, { queueType: config.RABBITMQ_QUEUE_TYPE });
    resources.push('broker', () => broker.close());
    const publisher = createEventPublisher(broker, log, publisherSettings(config));
    resources.push('publisher', () => publisher.close());
    const relay = startOutboxRelay({ db, schema: INVENTORY_SCHEMA, publisher, log, pollIntervalMs: config.OUTBOX_POLL_INTERVAL });
    resources.push('outbox relay', () => relay.stop());

    const journal = createJournal({ db, schema: INVENTORY_SCHEMA, source: INVENTORY_COMPONENT, log, hasOutbox: true });
    const queue = inventoryQueueName(config.EVENTS_EXCHANGE);
    const consumer = startConsumer(broker, log, {
      observers: [journalSettlements(journal, { handledInTransaction: true })],
      queue,
      bindings: bindingsOf(inventoryReactions),
      handler: transactional(db, INVENTORY_SCHEMA, dispatchTo(INVENTORY_COMPONENT, inventoryReactions), {
        journal,
        afterCommit: () => {
          // Committed, not yet relayed nor acked: the outbox and the inbox must make a crash here harmless.
          crashPoint('inventory:after-commit');
          relay.wake();
        },
      }),
      ...consumerSettings(config),
    });

    resources.push('consumer', () => consumer.stop());
    await consumer.ready();

    const { url, close } = await listen(createInventoryApp({ db, log, journal, afterCommit: () => relay.wake() , serviceToken }), { port: config.INVENTORY_PORT, host: config.HOST, log });
    resources.push('http server', close);
    log.info({ url, queue, exchange: config.EVENTS_EXCHANGE, store: db.kind }, 'inventory started');
    return { url, queue, db, stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}
