// Shipping wiring: store, broker, outbox relay, the event consumer, the booking and tracking loop and the HTTP surface, started and stopped in order.
import type { Config } from '../../platform/config.js';
import { armCrashPoints } from '../../platform/crash-points.js';
import { listen } from '../../platform/http/listen.js';
import { serviceTokenOf } from '../../platform/http/service-auth.js';
import { ResourceStack, type Stoppable } from '../../platform/lifecycle.js';
import type { Logger } from '../../platform/logger.js';
import { connectBroker } from '../../platform/messaging/broker.js';
import { consumerSettings, startConsumer } from '../../platform/messaging/consumer.js';
import { bindingsOf, dispatchTo } from '../../platform/messaging/event-handler.js';
import { transactional } from '../../platform/messaging/inbox-outbox.js';
import { startOutboxRelay } from '../../platform/messaging/outbox-relay.js';
import { createEventPublisher, publisherSettings } from '../../platform/messaging/publisher.js';
import { consumerQueueName } from '../../platform/messaging/wire-names.js';
import { createJournal, journalSettlements } from '../../platform/observability/journal.js';
import { openDatabase, type Database } from '../../platform/store/database.js';
import { migrate } from '../../platform/store/migrations.js';
import { createCarrierClient } from './carrier-client.js';
import { startDispatchLoop } from './dispatch-loop.js';
import { shippingReactions } from './handlers.js';
import { createShippingApp } from './http.js';
import { SHIPPING_SCHEMA, shippingMigrations } from './store.js';

export const SHIPPING_COMPONENT = 'shipping';
/** 'shipping' on the standard exchange, prefixed with the exchange otherwise (see consumerQueueName). */
export const shippingQueueName = (exchange: string) => consumerQueueName(exchange, SHIPPING_COMPONENT);

export interface RunningShipping extends Stoppable {
  /** Where the HTTP surface listens, e.g. http://127.0.0.1:3800. */
  url: string;
  queue: string;
  db: Database;
}

export async function startShipping(config: Config, log: Logger): Promise<RunningShipping> {
  armCrashPoints(config.CRASH_AT);
  // Checked before anything opens: the surface and the calls to the carrier both carry it.
  const serviceToken = serviceTokenOf(config, 'shipping');
  const resources = new ResourceStack(log);
  try {
    const db = await openDatabase({ component: SHIPPING_COMPONENT, databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    resources.push('database', () => db.close());
    await migrate(db, SHIPPING_SCHEMA, shippingMigrations);

    const broker = await connectBroker(config.AMQP_URL, log, SHIPPING_COMPONENT, { queueType: config.RABBITMQ_QUEUE_TYPE });
    resources.push('broker', () => broker.close());
    const publisher = createEventPublisher(broker, log, publisherSettings(config));
    resources.push('publisher', () => publisher.close());
    const relay = startOutboxRelay({ db, schema: SHIPPING_SCHEMA, publisher, log, pollIntervalMs: config.OUTBOX_POLL_INTERVAL });
    resources.push('outbox relay', () => relay.stop());

    const journal = createJournal({ db, schema: SHIPPING_SCHEMA, source: SHIPPING_COMPONENT, log, hasOutbox: true });
    // Stopped before the relay (resources stop in reverse): what it commits last still gets relayed, or waits in the outbox.
    const dispatch = startDispatchLoop({
      db,
      carrier: createCarrierClient({ baseUrl: config.CARRIER_URL, serviceToken }),
      journal,
      log,
      retryDelaysMs: config.SHIPPING_RETRY_DELAYS_MS,
      trackingIntervalMs: config.SHIPPING_TRACKING_INTERVAL,
      pollIntervalMs: config.OUTBOX_POLL_INTERVAL,
      afterCommit: () => relay.wake(),
    });
    resources.push('dispatch loop', () => dispatch.stop());

    const reactions = shippingReactions({ journal });
    const queue = shippingQueueName(config.EVENTS_EXCHANGE);
    const consumer = startConsumer(broker, log, {
      queue,
      observers: [journalSettlements(journal, { handledInTransaction: true })],
      bindings: bindingsOf(reactions),
      handler: transactional(db, SHIPPING_SCHEMA, dispatchTo(SHIPPING_COMPONENT, reactions), {
        journal,
        afterCommit: () => {
          relay.wake();
          dispatch.wake();
        },
      }),
      ...consumerSettings(config),
    });
    resources.push('consumer', () => consumer.stop());
    await consumer.ready();

    const { url, close } = await listen(createShippingApp({ db, log, journal, serviceToken }), { port: config.SHIPPING_PORT, host: config.HOST, log });
    resources.push('http server', close);
    log.info({ url, queue, exchange: config.EVENTS_EXCHANGE, store: db.kind, carrier: config.CARRIER_URL }, 'shipping started');
    return { url, queue, db, stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}
