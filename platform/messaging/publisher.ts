// Publishes integration events with publisher confirms: a publish resolves only once the broker has taken responsibility.
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Message } from 'amqplib';
import type { IntegrationEvent } from '../events/catalog.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Broker } from './broker.js';
import { componentTracer, eventAttributes, injectTraceContext, inSpan, MessagingAttribute, SpanKind } from '../observability/tracing.js';
import { declareEventsExchange } from './topology.js';
import { MessageHeader } from './wire-names.js';
import { eventsPublished } from '../observability/metrics.js';

export interface EventPublisher {
  publish(event: IntegrationEvent): Promise<void>;
  close(): Promise<void>;
}

export interface PublisherOptions {
  exchange: string;
  confirmTimeoutMs: number;
  /** The `component` label of the published-events counter. @default the broker connection's name */
  component?: string;
}

/** The publisher settings every component takes from its configuration. */
export function publisherSettings(config: Config): PublisherOptions {
  return { exchange: config.EVENTS_EXCHANGE, confirmTimeoutMs: config.PUBLISH_CONFIRM_TIMEOUT };
}

/**
 * Encodes an event as it travels: JSON body, id and type in the AMQP properties, and in headers the causation id and
 * the active trace context (`traceparent`/`tracestate`: the publish span's, when called from publish()).
 */
export function toMessage(event: IntegrationEvent) {
  return {
    content: Buffer.from(JSON.stringify(event)),
    options: {
      persistent: true,
      mandatory: true,
      contentType: 'application/json',
      messageId: event.eventId,
      type: event.type,
      correlationId: event.correlationId,
      timestamp: Math.floor(Date.parse(event.occurredAt) / 1000),
      headers: { ...injectTraceContext(), [MessageHeader.causationId]: event.causationId },
    },
  };
}

export function createEventPublisher(broker: Broker, log: Logger, options: PublisherOptions): EventPublisher {
  const component = options.component ?? broker.name;
  const channel: ChannelWrapper = broker.createChannel('publisher', async (ch) => {
    await declareEventsExchange(ch, options.exchange, broker.queueType);
    // With the alternate exchange in place nothing should come back; if it does, it is reported, never lost silently.
    ch.on('return', (message: Message) =>
      log.error({ routingKey: message.fields.routingKey, messageId: message.properties.messageId as unknown }, 'event returned as unroutable'),
    );
  });
  const tracer = componentTracer(broker.name);
  return {
    async publish(event) {
      // The span covers the broker's confirm: a slow confirm shows as a slow publish in the order's trace.
      const attributes = eventAttributes(event, { [MessagingAttribute.destination]: options.exchange, [MessagingAttribute.operation]: 'publish' });
      await inSpan(tracer, `${event.type} publish`, { kind: SpanKind.PRODUCER, attributes }, async () => {
        const { content, options: properties } = toMessage(event);
        await channel.publish(options.exchange, event.type, content, { ...properties, timeout: options.confirmTimeoutMs });
      });
      eventsPublished.inc({ component, type: event.type });
    },
    close: () => channel.close(),
  };
}
