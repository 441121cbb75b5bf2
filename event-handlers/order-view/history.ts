// The order view's history: a RabbitMQ stream queue keeping every event the view is built from, replayable from its start.
import { randomUUID } from 'node:crypto';
import { connectToAnyNode } from '../../platform/messaging/broker.js';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { consumerQueueName } from '../../platform/messaging/wire-names.js';

/** `order-view.history` on the standard exchange, prefixed with the exchange otherwise (as every consumer queue is). */
export const historyStreamName = (exchange: string) => consumerQueueName(exchange, 'order-view.history');

export interface HistoryRetention {
  /** x-max-age, e.g. `7D`, `12h` (RabbitMQ's units Y, M, D, h, m, s). */
  maxAge: string;
  /** x-max-length-bytes. */
  maxBytes: number;
}

/**
 * Declares the stream and binds it to the view's event types. A stream is not consumed away: reading it leaves it as it
 * was, so a rebuild can replay it from the first event still retained. Retention trims whole segments, oldest first.
 */
export async function declareHistoryStream(channel: ConfirmChannel, options: { exchange: string; bindings: readonly string[]; retention: HistoryRetention }): Promise<void> {
  const stream = historyStreamName(options.exchange);
  await channel.assertQueue(stream, {
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: { 'x-queue-type': 'stream', 'x-max-age': options.retention.maxAge, 'x-max-length-bytes': options.retention.maxBytes },
  });
  for (const routingKey of options.bindings) await channel.bindQueue(stream, options.exchange, routingKey);
}

/** The header that marks the end of one replay: the marker is appended just before reading starts. */
const REPLAY_MARKER = 'x-order-view-replay-marker';

/**
 * Reads the stream from its first retained message up to now and hands each event's raw content to `onEvent`, in
 * stream order. "Now" is a marker this replay appends to the stream itself before reading: every event routed to the
 * stream before the marker is read, and nothing after it, so the replay ends on its own even while events keep flowing.
 */
export async function replayHistory(options: {
  amqpUrl: string | readonly string[];
  exchange: string;
  prefetch: number;
  timeoutMs: number;
  onEvent: (content: Buffer) => Promise<void>;
}): Promise<{ read: number }> {
  const stream = historyStreamName(options.exchange);
  const marker = randomUUID();
  const connection = await connectToAnyNode(options.amqpUrl, { clientProperties: { connection_name: 'order-view:replay' } });
  try {
    const channel = await connection.createConfirmChannel();
    await channel.checkQueue(stream);
    // Through the default exchange straight into the stream: no other consumer sees the marker.
    channel.sendToQueue(stream, Buffer.from('{}'), { persistent: true, headers: { [REPLAY_MARKER]: marker } });
    await channel.waitForConfirms();
    // Streams require a prefetch and manual acks over AMQP 0-9-1; the ack only moves the credit window.
    await channel.prefetch(options.prefetch);
    let read = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`replaying ${stream} took longer than ${options.timeoutMs} ms`)), options.timeoutMs);
      let chain = Promise.resolve();
      const onMessage = (message: ConsumeMessage | null) => {
        if (message === null) {
          clearTimeout(timer);
          reject(new Error(`the broker cancelled the replay of ${stream}`));
          return;
        }
        chain = chain
          .then(async () => {
            const headers = (message.properties as { headers?: Record<string, unknown> }).headers ?? {};
            const seen = headers[REPLAY_MARKER];
            if (seen === marker) {
              channel.ack(message);
              clearTimeout(timer);
              resolve();
              return;
            }
            // Another replay's marker is not an event.
            if (seen === undefined) {
              await options.onEvent(message.content);
              read++;
            }
            channel.ack(message);
          })
          .catch((error: unknown) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(String(error)));
          });
      };
      channel.consume(stream, onMessage, { noAck: false, arguments: { 'x-stream-offset': 'first' } }).catch(reject);
    });
    return { read };
  } finally {
    await connection.close().catch(() => undefined);
  }
}
