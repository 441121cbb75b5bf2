// Order view wiring: store, broker, the history stream, the event consumer and the HTTP read surface, started and stopped in order.
import { serviceTokenOf } from '../../platform/http/service-auth.js';
import { listen } from '../../platform/http/listen.js';
import type { Config } from '../../platform/config.js';
import { ResourceStack, type Stoppable } from '../../platform/lifecycle.js';
import type { Logger } from '../../platform/logger.js';
import { connectBroker } from '../../platform/messaging/broker.js';
import { consumerSettings, startConsumer } from '../../platform/messaging/consumer.js';
import { transactional } from '../../platform/messaging/inbox-outbox.js';
import { dispatchTo } from '../../platform/messaging/event-handler.js';
import { declareEventsExchange } from '../../platform/messaging/topology.js';
import { consumerQueueName } from '../../platform/messaging/wire-names.js';
import { createJournal, journalSettlements } from '../../platform/observability/journal.js';
import { openDatabase, type Database } from '../../platform/store/database.js';
import { migrate } from '../../platform/store/migrations.js';
import { DEFAULT_INVENTORY_TIMEOUT_MS, defaultInventorySlowAfterMs } from '../../workflows/contract.js';
import { orderViewReactions } from './handlers.js';
import { declareHistoryStream, historyStreamName } from './history.js';
import { createOrderViewApp } from './http.js';
import { createViewRebuilder } from './rebuild.js';
import { ORDER_VIEW_SCHEMA, orderViewMigrations } from './store.js';
import { viewEventTypes } from './story.js';

export const ORDER_VIEW_COMPONENT = 'order-view';
/** 'order-view' on the standard exchange, prefixed with the exchange otherwise (see consumerQueueName). */
export const orderViewQueueName = (exchange: string) => consumerQueueName(exchange, ORDER_VIEW_COMPONENT);

/** A rebuild replays the whole retained history; it is bounded so a stuck broker cannot hold the request forever. */
const REBUILD_TIMEOUT_MS = 10 * 60_000;

export interface RunningOrderView extends Stoppable {
  /** Where the HTTP surface listens, e.g. http://127.0.0.1:3800. */
  url: string;
  queue: string;
  /** The history stream a rebuild replays. */
  stream: string;
  db: Database;
}

/** The watchdog's threshold as the API starts orders with it (INVENTORY_SLOW_AFTER, else a fifth of the deadline). */
export const inventorySlowAfterOf = (config: Config) =>
  config.INVENTORY_SLOW_AFTER ?? defaultInventorySlowAfterMs(config.INVENTORY_TIMEOUT ?? DEFAULT_INVENTORY_TIMEOUT_MS);

export async function startOrderView(config: Config, log: Logger): Promise<RunningOrderView> {
  // Checked before anything opens: without it the surface could not tell its callers from the public.
  const serviceToken = serviceTokenOf(config, 'the order view');
  const resources = new ResourceStack(log);
  try {
    const db = await openDatabase({ component: ORDER_VIEW_COMPONENT, databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    resources.push('database', () => db.close());
    await migrate(db, ORDER_VIEW_SCHEMA, orderViewMigrations);
    const journal = createJournal({ db, schema: ORDER_VIEW_SCHEMA, source: ORDER_VIEW_COMPONENT, log });

    const broker = await connectBroker(config.AMQP_URL, log, ORDER_VIEW_COMPONENT, { queueType: config.RABBITMQ_QUEUE_TYPE });
    resources.push('broker', () => broker.close());
    // Declared on every (re)connect, like the consumer's own queue, so the history keeps every event from the first start on.
    const historyChannel = broker.createChannel('order-view:history', async (channel) => {
      await declareEventsExchange(channel, config.EVENTS_EXCHANGE, broker.queueType);
      await declareHistoryStream(channel, {
        exchange: config.EVENTS_EXCHANGE,
        bindings: viewEventTypes,
        retention: { maxAge: config.ORDER_VIEW_HISTORY_MAX_AGE, maxBytes: config.ORDER_VIEW_HISTORY_MAX_BYTES },
      });
    });
    resources.push('history channel', () => historyChannel.close());
    await historyChannel.waitForConnect();

    const queue = orderViewQueueName(config.EVENTS_EXCHANGE);
    const consumer = startConsumer(broker, log, {
      queue,
      observers: [journalSettlements(journal, { handledInTransaction: true })],
      bindings: viewEventTypes,
      handler: transactional(db, ORDER_VIEW_SCHEMA, dispatchTo(ORDER_VIEW_COMPONENT, orderViewReactions), { journal }),
      ...consumerSettings(config),
    });
    resources.push('consumer', () => consumer.stop());
    await consumer.ready();

    const rebuild = createViewRebuilder({
      db,
      amqpUrl: config.AMQP_URL,
      exchange: config.EVENTS_EXCHANGE,
      prefetch: config.CONSUMER_PREFETCH,
      timeoutMs: REBUILD_TIMEOUT_MS,
      log,
    });
    const app = createOrderViewApp({
      db,
      log,
      journal,
      serviceToken,
      inventorySlowAfterMs: inventorySlowAfterOf(config),
      isBrokerConnected: () => broker.isConnected(),
      rebuild,
    });
    const { url, close } = await listen(app, { port: config.ORDER_VIEW_PORT, host: config.HOST, log });
    resources.push('http server', close);
    const stream = historyStreamName(config.EVENTS_EXCHANGE);
    log.info({ url, queue, stream, exchange: config.EVENTS_EXCHANGE, store: db.kind }, 'order view started');
    return { url, queue, stream, db, stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}
