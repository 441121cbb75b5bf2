// Describes a dead letter for an operator: which event, why it is there, how often it was tried, where a replay sends it.
import type { Message } from 'amqplib';
import type { DeadLetter } from '../dead-letters.js';
import { BrokerHeader, consumerQueueOfDeadLetters, MessageHeader } from '../wire-names.js';
import { headersOf, stringHeader, unroutableRoutingKey } from './message-headers.js';

/** AMQP timestamps are seconds; amqplib hands them over as a number or as { '!': 'timestamp', value }. */
function isoFromTimestamp(value: unknown): string | null {
  const seconds = typeof value === 'number' ? value : typeof value === 'object' && value !== null && 'value' in value ? Number(value.value) : NaN;
  return Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : null;
}

type XDeath = { reason?: unknown; queue?: unknown; time?: unknown; count?: unknown; 'routing-keys'?: unknown };

export function describe(queue: string, message: Message, unroutable: string): DeadLetter {
  const headers = headersOf(message);
  const body = message.content.toString('utf8');
  let event: unknown = body;
  try {
    event = JSON.parse(body) as unknown;
  } catch {
    // Not JSON: the consumer dead-lettered it as unreadable; show it as it is.
  }
  const field = (name: string) => {
    const value = typeof event === 'object' && event !== null ? (event as Record<string, unknown>)[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  };
  const properties = message.properties as { messageId?: unknown; type?: unknown };
  const attemptHeader = Number(headers[MessageHeader.attempt]);
  // x-death is newest first; the retry queues' "expired" entries are the consumer's own backoff, not a failure.
  const deaths = Array.isArray(headers[BrokerHeader.death]) ? (headers[BrokerHeader.death] as XDeath[]) : [];
  const brokerDeath = deaths.find((death) => death.reason !== 'expired');
  const lastError = stringHeader(headers, MessageHeader.lastError);

  let reason: string;
  let deadLetteredAt = stringHeader(headers, MessageHeader.deadLetteredAt) ?? null;
  if (queue === unroutable) {
    reason = `unroutable: no queue was bound for routing key "${unroutableRoutingKey(message)}"`;
  } else if (deadLetteredAt !== null) {
    reason = lastError ?? 'dead-lettered by its consumer';
  } else if (brokerDeath) {
    reason = `dead-lettered by the broker (${String(brokerDeath.reason)} in ${String(brokerDeath.queue)})${lastError ? `; last handler error: ${lastError}` : ''}`;
    deadLetteredAt = isoFromTimestamp(brokerDeath.time);
  } else {
    reason = lastError ?? 'unknown (no failure headers)';
  }

  return {
    messageId: typeof properties.messageId === 'string' ? properties.messageId : (field('eventId') ?? null),
    type: field('type') ?? (typeof properties.type === 'string' ? properties.type : null) ?? (queue === unroutable ? unroutableRoutingKey(message) : null),
    orderId: field('orderId') ?? null,
    attempts: Number.isInteger(attemptHeader) && attemptHeader > 0 ? attemptHeader : null,
    reason,
    deadLetteredAt,
    originalQueue: queue === unroutable ? null : (stringHeader(headers, MessageHeader.originalQueue) ?? consumerQueueOfDeadLetters(queue) ?? null),
    event,
  };
}
