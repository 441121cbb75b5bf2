// The order-outcome bridge component: consumes inventory.reserved / inventory.rejected and signals the order workflow.
import type { Config } from '../../platform/config.js';
import type { Logger } from '../../platform/logger.js';
import { ResourceStack } from '../../platform/lifecycle.js';
import { connectBroker } from '../../platform/messaging/broker.js';
import { consumerSettings, startConsumer } from '../../platform/messaging/consumer.js';
import { bindingsOf, dispatchTo } from '../../platform/messaging/event-handler.js';
import { consumerQueueName } from '../../platform/messaging/wire-names.js';
import { connectTemporalClient } from '../../platform/temporal/connection.js';
import { armCrashPoints } from '../../platform/crash-points.js';
import { orderOutcomeReactions } from './bridge.js';

export const ORDER_OUTCOME_COMPONENT = 'order-outcome';

export async function startOrderOutcome(config: Config, log: Logger): Promise<{ stop(): Promise<void> }> {
  armCrashPoints(config.CRASH_AT);
  const resources = new ResourceStack(log);
  try {
    const client = await connectTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
    resources.push('temporal connection', () => client.connection.close());
    const broker = await connectBroker(config.AMQP_URL, log, 'order-outcome');
    resources.push('broker', () => broker.close());
    const reactions = orderOutcomeReactions(client);
    const consumer = startConsumer(broker, log, {
      queue: consumerQueueName(config.EVENTS_EXCHANGE, ORDER_OUTCOME_COMPONENT),
      bindings: bindingsOf(reactions),
      handler: dispatchTo(ORDER_OUTCOME_COMPONENT, reactions),
      ...consumerSettings(config),
    });
    resources.push('consumer', () => consumer.stop());
    await consumer.ready();
    return { stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}
