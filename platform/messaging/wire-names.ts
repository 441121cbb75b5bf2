// The names messages and queues carry on the wire (headers, queue suffixes, the default exchange), written down once.

/** The topic exchange every event is published to, routed by event type. */
export const DEFAULT_EVENTS_EXCHANGE = 'ensemble.events';

/** Headers this platform sets on messages; operators see them in the RabbitMQ UI and `npm run dlq -- show`. */
export const MessageHeader = {
  /** Which attempt at handling this is (1 on first delivery); a replayed dead letter starts at 1 again. */
  attempt: 'x-attempt',
  /** Why the last attempt failed (retry and dead-letter copies). */
  lastError: 'x-last-error',
  /** When the consumer gave up and dead-lettered the message. */
  deadLetteredAt: 'x-dead-lettered-at',
  /** The consumer queue a dead letter came from, where a replay sends it back. */
  originalQueue: 'x-original-queue',
  /** The event type it was first routed with: a retry comes back from its delay queue routed by the queue's name. */
  routingKey: 'x-routing-key',
  /** When an operator replayed the message from a dead-letter queue. */
  replayedAt: 'x-replayed-at',
  /** The event (or workflow run) that caused this one. */
  causationId: 'x-causation-id',
} as const;

/** Headers the broker itself adds when it dead-letters or redelivers. */
export const BrokerHeader = {
  death: 'x-death',
  deliveryCount: 'x-delivery-count',
  acquiredCount: 'x-acquired-count',
} as const;

export const DEAD_LETTER_SUFFIX = '.dlq';

/**
 * A component's queue name. On the default exchange it is just the component (`inventory`); on any other
 * exchange it is prefixed with it, so that stacks sharing a broker (tests, a staging copy) never share queues.
 */
export const consumerQueueName = (exchange: string, component: string) =>
  exchange === DEFAULT_EVENTS_EXCHANGE ? component : `${exchange}.${component}`;

/** Where a consumer's failed message waits out one backoff step, e.g. `inventory.retry.5000ms`. */
export const retryQueueName = (queue: string, delayMs: number) => `${queue}.retry.${delayMs}ms`;

/** Where a consumer's messages go when they cannot be handled, e.g. `inventory.dlq`. */
export const deadLetterQueueName = (queue: string) => `${queue}${DEAD_LETTER_SUFFIX}`;

/** The consumer queue a dead-letter queue belongs to; undefined when the name is not a dead-letter queue's. */
export const consumerQueueOfDeadLetters = (queue: string): string | undefined =>
  queue.endsWith(DEAD_LETTER_SUFFIX) && queue.length > DEAD_LETTER_SUFFIX.length ? queue.slice(0, -DEAD_LETTER_SUFFIX.length) : undefined;

/** Where events no queue is bound for end up, e.g. `ensemble.events.unroutable`. */
export const unroutableQueueName = (exchange: string) => `${exchange}.unroutable`;
