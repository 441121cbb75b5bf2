// `amqp`: one choreography hop on the broker alone — publish with confirm, the bench worker consumes and replies, the reply is consumed.
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { HOP_REQUEST_KEY, hopQueues } from '../worker/contract.js';
import { declareHopTopology, deleteHopTopology } from '../worker/hop-topology.js';
import { OperationFailedError, within, type Scenario } from './scenario.js';

const REPLY_TIMEOUT_MS = 30_000;

/** `apiMs` is the publish's confirm: the broker's answer to the one call the publisher makes. */
export async function amqpScenario(amqpUrl: string, exchange: string): Promise<Scenario> {
  const connection = await amqplib.connect(amqpUrl);
  const channel = await connection.createConfirmChannel();
  await declareHopTopology(channel, exchange);
  const queues = hopQueues(exchange);
  const waiting = new Map<string, () => void>();
  await channel.consume(
    queues.reply,
    (message) => {
      if (!message) return;
      waiting.get(message.properties.correlationId as string)?.();
    },
    { noAck: true },
  );

  return {
    name: 'amqp',
    async operate() {
      const id = randomUUID();
      const replied = new Promise<void>((resolve) => waiting.set(id, resolve));
      const began = performance.now();
      try {
        await new Promise<void>((resolve, reject) => {
          channel.publish(exchange, HOP_REQUEST_KEY, Buffer.from(JSON.stringify({ id })), { persistent: true, correlationId: id }, (error) =>
            error ? reject(new OperationFailedError(`the broker refused the publish: ${String(error)}`)) : resolve(),
          );
        });
        const apiMs = performance.now() - began;
        await within(replied, REPLY_TIMEOUT_MS, 'the hop reply');
        return { apiMs, e2eMs: performance.now() - began };
      } finally {
        waiting.delete(id);
      }
    },
    async queued() {
      // A channel of its own: a failed passive check closes the channel it was made on.
      const check = await connection.createChannel();
      try {
        const [request, reply] = await Promise.all([check.checkQueue(queues.request), check.checkQueue(queues.reply)]);
        return request.messageCount + reply.messageCount;
      } finally {
        await check.close().catch(() => undefined);
      }
    },
    async close() {
      await deleteHopTopology(channel, exchange).catch(() => undefined);
      await connection.close();
    },
  };
}
