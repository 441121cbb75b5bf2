// The order-outcome bridge component: consumes inventory.reserved / inventory.rejected and signals the order workflow.
import { serviceTokenOf } from '../../platform/http/service-auth.js';
import type { Config } from '../../platform/config.js';
import { listen } from '../../platform/http/listen.js';
import type { Logger } from '../../platform/logger.js';
import { ResourceStack, type Stoppable } from '../../platform/lifecycle.js';
import { connectBroker } from '../../platform/messaging/broker.js';
import { consumerSettings, startConsumer } from '../../platform/messaging/consumer.js';
import { bindingsOf, dispatchTo } from '../../platform/messaging/event-handler.js';
import { consumerQueueName } from '../../platform/messaging/wire-names.js';
import { createJournal, journalMigration, journalSettlements } from '../../platform/observability/journal.js';
import { openDatabase } from '../../platform/store/database.js';
import { migrate } from '../../platform/store/migrations.js';
import { connectTemporalClient } from '../../platform/temporal/connection.js';
import { payloadKeysOf } from '../../platform/temporal/data-converter.js';
import { armCrashPoints } from '../../platform/crash-points.js';
import { orderOutcomeReactions } from './bridge.js';
import { createOrderOutcomeApp } from './http.js';

export const ORDER_OUTCOME_COMPONENT = 'order-outcome';
/** The bridge keeps no state of its own; its store holds only the journal of what it did, for the order timeline. */
export const ORDER_OUTCOME_SCHEMA = 'order_outcome';

export interface RunningOrderOutcome extends Stoppable {
  /** Where the HTTP surface listens, e.g. http://127.0.0.1:3400. */
  url: string;
}

export async function startOrderOutcome(config: Config, log: Logger): Promise<RunningOrderOutcome> {
  armCrashPoints(config.CRASH_AT);
  // Checked before anything opens: without it the surface could not tell its callers from the public.
  const serviceToken = serviceTokenOf(config, 'order-outcome');
  // Its signals are payloads too: without the keys it must not start at all.
  const payloadKeys = payloadKeysOf(config);
  const resources = new ResourceStack(log);
  try {
    const db = await openDatabase({ component: ORDER_OUTCOME_COMPONENT, databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    resources.push('database', () => db.close());
    await migrate(db, ORDER_OUTCOME_SCHEMA, [journalMigration]);
    const journal = createJournal({ db, schema: ORDER_OUTCOME_SCHEMA, source: ORDER_OUTCOME_COMPONENT, log });

    const client = await connectTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, payloadKeys, component: ORDER_OUTCOME_COMPONENT });
    resources.push('temporal connection', () => client.connection.close());
    const broker = await connectBroker(config.AMQP_URL, log, ORDER_OUTCOME_COMPONENT, { queueType: config.RABBITMQ_QUEUE_TYPE });
    resources.push('broker', () => broker.close());
    const reactions = orderOutcomeReactions(client, journal);
    const consumer = startConsumer(broker, log, {
      queue: consumerQueueName(config.EVENTS_EXCHANGE, ORDER_OUTCOME_COMPONENT),
      bindings: bindingsOf(reactions),
      handler: dispatchTo(ORDER_OUTCOME_COMPONENT, reactions),
      observers: [journalSettlements(journal)],
      ...consumerSettings(config),
    });
    resources.push('consumer', () => consumer.stop());
    await consumer.ready();

    const { url, close } = await listen(createOrderOutcomeApp({ log, journal , serviceToken }), { port: config.ORDER_OUTCOME_PORT, host: config.HOST, log });
    resources.push('http server', close);
    log.info({ url, store: db.kind }, 'order-outcome started');
    return { url, stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}
