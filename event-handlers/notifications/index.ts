// Notifications wiring: store, broker, the event consumer, the delivery loop and the HTTP read surface, started and stopped in order.
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
import { openDatabase, type Database } from '../../platform/store/database.js';
import { migrate } from '../../platform/store/migrations.js';
import { startDelivery } from './delivery.js';
import { notificationReactions } from './handlers.js';
import { createNotificationsApp } from './http.js';
import { NOTIFICATIONS_SCHEMA, notificationsMigrations } from './store.js';

export const NOTIFICATIONS_COMPONENT = 'notifications';
/** 'notifications' on the standard exchange, prefixed with the exchange otherwise (see consumerQueueName). */
export const notificationsQueueName = (exchange: string) => consumerQueueName(exchange, NOTIFICATIONS_COMPONENT);

export interface RunningNotifications extends Stoppable {
  /** Where the HTTP surface listens, e.g. http://127.0.0.1:3300. */
  url: string;
  queue: string;
  db: Database;
}

export async function startNotifications(config: Config, log: Logger): Promise<RunningNotifications> {
  // Checked before anything opens: without it the surface could not tell its callers from the public.
  const serviceToken = serviceTokenOf(config, 'notifications');
  const resources = new ResourceStack(log);
  try {
    const db = await openDatabase({ component: NOTIFICATIONS_COMPONENT, databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    resources.push('database', () => db.close());
    await migrate(db, NOTIFICATIONS_SCHEMA, notificationsMigrations);

    const journal = createJournal({ db, schema: NOTIFICATIONS_SCHEMA, source: NOTIFICATIONS_COMPONENT, log });
    const delivery = startDelivery({ db, log, journal, smtpUrl: config.SMTP_URL, from: config.NOTIFICATIONS_FROM, pollIntervalMs: config.OUTBOX_POLL_INTERVAL });
    resources.push('delivery', () => delivery.stop());

    const broker = await connectBroker(config.AMQP_URL, log, NOTIFICATIONS_COMPONENT, { queueType: config.RABBITMQ_QUEUE_TYPE });
    resources.push('broker', () => broker.close());
    const queue = notificationsQueueName(config.EVENTS_EXCHANGE);
    const consumer = startConsumer(broker, log, {
      queue,
      observers: [journalSettlements(journal, { handledInTransaction: true })],
      bindings: bindingsOf(notificationReactions),
      handler: transactional(db, NOTIFICATIONS_SCHEMA, dispatchTo(NOTIFICATIONS_COMPONENT, notificationReactions), {
        journal,
        afterCommit: () => delivery.wake(),
      }),
      ...consumerSettings(config),
    });

    resources.push('consumer', () => consumer.stop());
    await consumer.ready();

    const { url, close } = await listen(createNotificationsApp({ db, log, journal, serviceToken, afterCommit: () => delivery.wake() }), { port: config.NOTIFICATIONS_PORT, host: config.HOST, log });
    resources.push('http server', close);
    log.info({ url, queue, exchange: config.EVENTS_EXCHANGE, store: db.kind, delivery: delivery.mode }, 'notifications started');
    return { url, queue, db, stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}
