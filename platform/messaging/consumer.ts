// Consumes a component's queue: validated events, bounded prefetch, manual acks, retries with backoff, then the dead-letter queue.
import type { Span } from '@opentelemetry/api';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';
import { InvalidEventError, parseEvent, type EventType, type IntegrationEvent } from '../events/catalog.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Broker } from './broker.js';
import { PoisonMessageError } from './errors.js';
import type { EventHandler } from './event-handler.js';
import { componentTracer, extractTraceContext, inSpan, markFailed, MessagingAttribute, SpanKind } from '../observability/tracing.js';
import { declareConsumerQueue, declareEventsExchange } from './topology.js';
import { BrokerHeader, deadLetterQueueName, MessageHeader, retryQueueName } from './wire-names.js';
import { recordSettlement, watchQueueDepth } from './consumer-metrics.js';

/** How one delivery ended; observers (the component's journal, its metrics) are told after it is settled. */
export interface Settlement {
  queue: string;
  /** The event type it was routed with. */
  type: string;
  /** Set when the message was a valid event. */
  event?: IntegrationEvent;
  messageId?: string;
  attempt: number;
  /** The broker delivered it again after a consumer died holding it. */
  redelivered?: boolean;
  outcome: 'handled' | 'duplicate' | 'retry-scheduled' | 'dead-lettered';
  /** Why it failed (retry-scheduled, dead-lettered). */
  reason?: string;
  /** When an operator replayed it from the dead-letter queue, if it was. */
  replayedAt?: string;
  /** When handling began, and how long it took until the message was settled. */
  startedAt: Date;
  durationMs: number;
}

export type SettlementObserver = (settlement: Settlement) => void | Promise<void>;

export interface ConsumerOptions {
  queue: string;
  exchange: string;
  bindings: readonly EventType[];
  handler: EventHandler;
  /** Told how each delivery ended; an observer's failure is logged and never affects the message. */
  observers?: readonly SettlementObserver[];
  prefetch: number;
  maxAttempts: number;
  retryDelaysMs: readonly number[];
  confirmTimeoutMs: number;
}

/** The consumer settings every component takes from its configuration. */
export function consumerSettings(config: Config): Pick<ConsumerOptions, 'exchange' | 'prefetch' | 'maxAttempts' | 'retryDelaysMs' | 'confirmTimeoutMs'> {
  return {
    exchange: config.EVENTS_EXCHANGE,
    prefetch: config.CONSUMER_PREFETCH,
    maxAttempts: config.CONSUMER_MAX_ATTEMPTS,
    retryDelaysMs: config.CONSUMER_RETRY_DELAYS_MS,
    confirmTimeoutMs: config.PUBLISH_CONFIRM_TIMEOUT,
  };
}

export interface Consumer {
  /** Resolves once the queue, its bindings and its retry/dead-letter queues are declared. */
  ready(): Promise<void>;
  /** Stops taking new messages and waits for the ones in flight to be settled. */
  stop(): Promise<void>;
}

export function startConsumer(broker: Broker, log: Logger, options: ConsumerOptions): Consumer {
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  // A delivery tag belongs to the channel it came on. After a reconnect the broker has already requeued what was
  // unacked, and acking an old tag on the new channel would close it; so settlement only happens on the same channel.
  // Setup runs once per underlying channel, before its consumers start: it marks a new generation of deliveries.
  let generation = 0;
  const channel: ChannelWrapper = broker.createChannel(`consumer:${options.queue}`, async (ch) => {
    generation++;
    await declareEventsExchange(ch, options.exchange, broker.queueType);
    await declareConsumerQueue(ch, {
      queueType: broker.queueType,
      queue: options.queue,
      exchange: options.exchange,
      bindings: options.bindings,
      retryDelaysMs: options.retryDelaysMs,
      // The broker's own limit is a backstop for messages that crash the process before any ack.
      deliveryLimit: options.maxAttempts * 2,
    });
  });

  const generationOf = new WeakMap<ConsumeMessage, number>();
  const ack = (message: ConsumeMessage) => {
    if (generationOf.get(message) === generation) channel.ack(message);
    else log.warn({ messageId: propertiesOf(message).messageId }, 'channel replaced before ack; the broker redelivers the message');
  };
  const requeue = (message: ConsumeMessage) => {
    if (generationOf.get(message) === generation) channel.nack(message, false, true);
  };

  const observe = async (settlement: Settlement) => {
    recordSettlement(settlement);
    for (const observer of options.observers ?? []) {
      try {
        await observer(settlement);
      } catch (error) {
        log.warn({ err: error, outcome: settlement.outcome }, 'a settlement observer failed');
      }
    }
  };

  const tracer = componentTracer(broker.name);

  /**
   * Handles one delivery inside a CONSUMER span whose parent is the publisher's span (the trace context in the
   * headers, which retries and dead-letter copies keep): the handler, its emitted events and the observers all join
   * the trace of the order that caused the message.
   */
  const settle = async (message: ConsumeMessage) => {
    const started = performance.now();
    const startedAt = new Date();
    const headers = propertiesOf(message).headers;
    // A broker redelivery (the consumer died holding it) counts as an attempt too; quorum queues count them for us.
    const redeliveries = Number(headers?.[BrokerHeader.deliveryCount] ?? (message.fields.redelivered ? 1 : 0));
    const redelivered = redeliveries > 0;
    const attempt = Number(headers?.[MessageHeader.attempt] ?? 1) + redeliveries;
    // A retry comes back from its delay queue routed by the queue's name; the event type travels in a header.
    const routedAs = headers?.[MessageHeader.routingKey];
    const type = typeof routedAs === 'string' ? routedAs : message.fields.routingKey;
    const messageId = propertiesOf(message).messageId;
    const attributes = {
      [MessagingAttribute.system]: 'rabbitmq',
      [MessagingAttribute.destination]: options.queue,
      [MessagingAttribute.operation]: 'process',
      [MessagingAttribute.attempt]: attempt,
      ...(messageId === undefined ? {} : { [MessagingAttribute.messageId]: messageId }),
    };
    await inSpan(tracer, `${type} process`, { kind: SpanKind.CONSUMER, parent: extractTraceContext(headers), attributes }, (span) =>
      settleInSpan(message, { started, startedAt, attempt, redelivered, type, messageId, replayedAt: headers?.[MessageHeader.replayedAt], span }),
    );
  };

  const settleInSpan = async (
    message: ConsumeMessage,
    delivery: { started: number; startedAt: Date; attempt: number; redelivered: boolean; type: string; messageId?: string; replayedAt: unknown; span: Span },
  ) => {
    const { started, startedAt, attempt, redelivered, type, messageId, replayedAt, span } = delivery;
    const settled = (outcome: Settlement['outcome'], details: { event?: IntegrationEvent; reason?: string }) => {
      span.setAttribute('ensemble.outcome', outcome);
      return observe({
        queue: options.queue,
        type,
        messageId,
        attempt,
        ...(redelivered ? { redelivered } : {}),
        outcome,
        ...details,
        ...(typeof replayedAt === 'string' ? { replayedAt } : {}),
        startedAt,
        durationMs: performance.now() - started,
      });
    };
    const messageLog = log.child({ messageId, type, attempt });
    let event: IntegrationEvent;
    try {
      event = parseEvent(JSON.parse(message.content.toString('utf8')));
    } catch (error) {
      const reason = error instanceof InvalidEventError ? error.message : `unreadable message: ${String(error)}`;
      markFailed(span, error);
      await deadLetter(message, reason, attempt, messageLog);
      await settled('dead-lettered', { reason });
      return;
    }
    if (event.orderId !== undefined) span.setAttribute(MessagingAttribute.orderId, event.orderId);
    const eventLog = messageLog.child(event.orderId === undefined ? { eventId: event.eventId } : { eventId: event.eventId, orderId: event.orderId });
    try {
      const outcome = await options.handler(event, {
        attempt,
        log: eventLog,
        ...(redelivered ? { redelivered } : {}),
        ...(typeof replayedAt === 'string' ? { replayedAt } : {}),
      });
      ack(message);
      await settled(outcome ?? 'handled', { event });
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      markFailed(span, error);
      if (error instanceof PoisonMessageError || attempt >= options.maxAttempts) {
        await deadLetter(message, reason, attempt, eventLog);
        await settled('dead-lettered', { event, reason });
      } else {
        await retryLater(message, reason, attempt, eventLog);
        await settled('retry-scheduled', { event, reason });
      }
    }
  };

  // Retry and dead-letter copies are confirmed by the broker before the original is acked, so nothing is lost in between.
  const retryLater = async (message: ConsumeMessage, reason: string, attempt: number, messageLog: Logger) => {
    const delays = options.retryDelaysMs;
    const delay = delays[Math.min(attempt - 1, delays.length - 1)]!;
    messageLog.warn({ reason, retryInMs: delay }, 'handler failed; will retry');
    await republish(message, retryQueueName(options.queue, delay), { [MessageHeader.attempt]: attempt + 1, [MessageHeader.lastError]: reason });
  };

  const deadLetter = async (message: ConsumeMessage, reason: string, attempt: number, messageLog: Logger) => {
    messageLog.error({ reason }, 'dead-lettering message');
    await republish(message, deadLetterQueueName(options.queue), {
      [MessageHeader.attempt]: attempt,
      [MessageHeader.lastError]: reason,
      [MessageHeader.deadLetteredAt]: new Date().toISOString(),
      [MessageHeader.originalQueue]: options.queue,
    });
  };

  const republish = async (message: ConsumeMessage, queue: string, headers: Record<string, unknown>) => {
    const properties = propertiesOf(message);
    await channel.sendToQueue(queue, message.content, {
      persistent: true,
      contentType: properties.contentType,
      messageId: properties.messageId,
      type: properties.type ?? message.fields.routingKey,
      correlationId: properties.correlationId,
      timestamp: properties.timestamp,
      // A retried message comes back from its delay queue under the queue's name; the event type is kept from the first pass.
      // The broker's delivery count belongs to the delivery, not the message; the attempt header carries it forward.
      headers: {
        ...withoutBrokerCounters(properties.headers),
        [MessageHeader.routingKey]: properties.headers?.[MessageHeader.routingKey] ?? message.fields.routingKey,
        ...headers,
      },
      timeout: options.confirmTimeoutMs,
    });
    ack(message);
  };

  const onMessage = (message: ConsumeMessage) => {
    generationOf.set(message, generation);
    if (stopping) {
      requeue(message);
      return;
    }
    const work = settle(message).catch((error: unknown) => {
      // Could not even republish (broker gone): hand the message back so it is redelivered, never dropped.
      log.error({ err: error, messageId: message.properties.messageId }, 'could not settle message; returning it to the queue');
      try {
        requeue(message);
      } catch {
        // The channel is gone; the broker requeues unacked messages by itself.
      }
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  void channel.consume(options.queue, onMessage, { prefetch: options.prefetch, noAck: false }).catch((error: unknown) => {
    log.error({ err: error, queue: options.queue }, 'could not start consuming');
  });

  const unwatchDepth = watchQueueDepth(channel, options.queue, () => broker.isConnected());

  return {
    ready: () => channel.waitForConnect(),
    async stop() {
      stopping = true;
      unwatchDepth();
      await channel.cancelAll();
      await Promise.allSettled([...inFlight]);
      await channel.close();
    },
  };
}

function withoutBrokerCounters(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const { [BrokerHeader.deliveryCount]: _count, [BrokerHeader.acquiredCount]: _acquired, ...rest } = headers ?? {};
  return rest;
}

/** amqplib types message properties as `any`; these are the ones this consumer reads. */
function propertiesOf(message: ConsumeMessage) {
  return message.properties as {
    contentType?: string;
    messageId?: string;
    type?: string;
    correlationId?: string;
    timestamp?: number;
    headers?: Record<string, unknown>;
  };
}
