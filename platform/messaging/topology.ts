// RabbitMQ topology: the events exchange with its catch-all for unroutable events, and per-consumer queues with retry and dead-letter paths.
import type { ConfirmChannel } from 'amqplib';
import { deadLetterQueueName, retryQueueName, unroutableQueueName } from './wire-names.js';

/** The type of the queues that may be classic (RABBITMQ_QUEUE_TYPE); consumer and dead-letter queues are always quorum. */
export type AuxiliaryQueueType = 'classic' | 'quorum';

/**
 * Arguments that make an auxiliary queue a quorum queue, replicated on the cluster's nodes. Its dead-lettering (a retry
 * delay's expiry back into the consumer queue) is at-least-once, which quorum queues allow only with reject-publish.
 */
function auxiliaryQueueArguments(queueType: AuxiliaryQueueType, deadLetters: boolean): Record<string, unknown> {
  if (queueType === 'classic') return {};
  return { 'x-queue-type': 'quorum', ...(deadLetters ? { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } : {}) };
}

/**
 * Declares the topic exchange every event is published to. Its alternate exchange keeps events
 * that no queue is bound for (a missing binding, a typo in a routing key) instead of dropping them.
 */
export async function declareEventsExchange(channel: ConfirmChannel, exchange: string, queueType: AuxiliaryQueueType = 'classic'): Promise<void> {
  const unroutable = unroutableQueueName(exchange);
  await channel.assertExchange(unroutable, 'fanout', { durable: true });
  await channel.assertQueue(unroutable, { durable: true, arguments: auxiliaryQueueArguments(queueType, false) });
  await channel.bindQueue(unroutable, unroutable, '');
  await channel.assertExchange(exchange, 'topic', { durable: true, alternateExchange: unroutable });
}

export interface ConsumerQueueSpec {
  queue: string;
  exchange: string;
  /** Event types (routing keys) this consumer needs. */
  bindings: readonly string[];
  /** One delay queue per retry step; the last delay repeats for later attempts. */
  retryDelaysMs: readonly number[];
  /** Redeliveries after which the broker itself dead-letters (a message that crashes its consumer). */
  deliveryLimit: number;
  /** The retry delay queues' type. @default 'classic' */
  queueType?: AuxiliaryQueueType;
}

/**
 * Declares a consumer's queue (a quorum queue: replicated, with a broker-enforced delivery limit and
 * at-least-once dead-lettering), its delay queues (messages wait out a TTL, then return to the queue)
 * and its dead-letter queue.
 */
export async function declareConsumerQueue(channel: ConfirmChannel, spec: ConsumerQueueSpec): Promise<void> {
  const deadLetters = deadLetterQueueName(spec.queue);
  await channel.assertQueue(deadLetters, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.assertQueue(spec.queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': spec.deliveryLimit,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': deadLetters,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
  });
  for (const delay of new Set(spec.retryDelaysMs)) {
    await channel.assertQueue(retryQueueName(spec.queue, delay), {
      durable: true,
      arguments: {
        'x-message-ttl': delay,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': spec.queue,
        ...auxiliaryQueueArguments(spec.queueType ?? 'classic', true),
      },
    });
  }
  for (const routingKey of spec.bindings) await channel.bindQueue(spec.queue, spec.exchange, routingKey);
}
