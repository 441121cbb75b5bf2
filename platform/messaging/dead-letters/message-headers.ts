// Reading and rewriting the headers of a dead letter: what describes its failure, and what a copy must not carry over.
import type { Message } from 'amqplib';
import { BrokerHeader, MessageHeader } from '../wire-names.js';

export type Headers = Record<string, unknown>;

/** Headers that describe a failure; a replayed message starts over without them. */
export const FAILURE_HEADERS = [
  MessageHeader.lastError,
  MessageHeader.deadLetteredAt,
  MessageHeader.originalQueue,
  BrokerHeader.death,
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
];
/** The broker's own per-queue counters: meaningless on a new copy of the message. */
export const BROKER_COUNTER_HEADERS: string[] = [BrokerHeader.deliveryCount, BrokerHeader.acquiredCount];

export function headersOf(message: Message): Headers {
  return message.properties.headers ?? {};
}

export function withoutHeaders(headers: Headers, names: readonly string[]): Headers {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)));
}

/** The routing key an unroutable event was published with: as it arrived from the exchange, or as kept by a look at the queue. */
export function unroutableRoutingKey(message: Message): string {
  if (message.fields.exchange !== '') return message.fields.routingKey;
  return stringHeader(headersOf(message), MessageHeader.routingKey) ?? message.fields.routingKey;
}

export function stringHeader(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}
