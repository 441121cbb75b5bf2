// Works through a queue one message at a time, keeping, dropping or moving each, without ever handing one back to the broker.
import type { ChannelModel, ConfirmChannel, GetMessage, Message, Options } from 'amqplib';
import { MessageHeader } from '../wire-names.js';
import { BrokerUnavailableError, ReplayTargetMissingError } from './errors.js';
import { BROKER_COUNTER_HEADERS, headersOf, withoutHeaders, type Headers } from './message-headers.js';

/** What happens to one message during a sweep. */
export type Decision = { kind: 'keep' } | { kind: 'drop' } | { kind: 'move'; exchange: string; routingKey: string; headers: Headers };

export interface SweepPlan {
  decide: (message: GetMessage) => Decision;
  /** True once the work is done; the rest of the queue is then left (or, after a keep, carried round) untouched. */
  finished?: () => boolean;
}

/**
 * Takes up to `depth` messages off the head of the queue, one at a time, and settles each as `decide` says.
 *
 * A message is never handed back to the broker (nack or channel close): on RabbitMQ 4 every such return counts
 * towards a quorum queue's delivery limit, which defaults to 20, and a dead-letter queue has nowhere to send a
 * message past its limit, so it would be dropped after a few looks. Instead a kept message is published again to
 * the back of its own queue and the original acked; a moved one is published to its destination and then acked.
 * The ack always waits for the broker's confirm, so a crash in between leaves a duplicate, never a loss.
 * Once something has been kept, the sweep goes round the whole queue so that the order is the same afterwards.
 */
export async function sweepQueue(
  connection: ChannelModel,
  queue: string,
  depth: number,
  plan: SweepPlan,
  confirmTimeoutMs: number,
): Promise<void> {
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined);
  let returned: Message | undefined;
  channel.on('return', (message: Message) => {
    returned = message;
  });
  try {
    let kept = 0;
    for (let index = 0; index < depth; index++) {
      const finished = plan.finished?.() ?? false;
      // Nothing was put at the back yet, so what is left is untouched and still in order.
      if (finished && kept === 0) break;
      const message = await channel.get(queue, { noAck: false });
      if (!message) break;
      const decision: Decision = finished ? { kind: 'keep' } : plan.decide(message);
      if (decision.kind === 'keep') {
        await republish(channel, message, '', queue, keptHeaders(message), confirmTimeoutMs);
        kept++;
      } else if (decision.kind === 'move') {
        returned = undefined;
        await republish(channel, message, decision.exchange, decision.routingKey, decision.headers, confirmTimeoutMs);
        // The broker sends basic.return before the confirm: a message it could not route is still ours to keep.
        if (returned) throw new ReplayTargetMissingError(queue, decision.routingKey);
      }
      channel.ack(message);
    }
  } finally {
    await channel.close().catch(() => undefined);
  }
}

function republish(channel: ConfirmChannel, message: Message, toExchange: string, routingKey: string, headers: Headers, confirmTimeoutMs: number): Promise<void> {
  const options = { ...publishPropertiesOf(message), headers, mandatory: true };
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BrokerUnavailableError(`RabbitMQ did not confirm within ${confirmTimeoutMs}ms`)), confirmTimeoutMs);
    channel.publish(toExchange, routingKey, message.content, options, (error: unknown) => {
      clearTimeout(timer);
      if (error) reject(new BrokerUnavailableError('RabbitMQ refused the message (negative confirm)', { cause: error }));
      else resolve();
    });
  });
}

/**
 * A copy put back at the tail goes through the default exchange, whose routing key is the queue's name; an
 * unroutable event's own routing key (all that says where it was meant to go) travels in a header instead.
 */
function keptHeaders(message: Message): Headers {
  const headers = withoutHeaders(headersOf(message), BROKER_COUNTER_HEADERS);
  return message.fields.exchange === '' ? headers : { ...headers, [MessageHeader.routingKey]: message.fields.routingKey };
}

/**
 * The message's own properties, so a copy is indistinguishable from the original. `expiration` is left out (a
 * dead letter must not time out of its queue) and so is `userId` (the broker checks it against whoever publishes).
 */
function publishPropertiesOf(message: Message): Options.Publish {
  const p = message.properties as unknown as Record<string, unknown>;
  const defined = (value: unknown) => (value === undefined || value === null ? undefined : value);
  return Object.fromEntries(
    Object.entries({
      persistent: true,
      contentType: defined(p.contentType),
      contentEncoding: defined(p.contentEncoding),
      priority: defined(p.priority),
      correlationId: defined(p.correlationId),
      replyTo: defined(p.replyTo),
      messageId: defined(p.messageId),
      timestamp: defined(p.timestamp),
      type: defined(p.type),
      appId: defined(p.appId),
    }).filter(([, value]) => value !== undefined),
  );
}
