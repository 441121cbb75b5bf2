// The far side of the AMQP hop: consume a request, publish the reply with a confirm, then ack, as an event handler does.
import amqplib from 'amqplib';
import type { Logger } from '../../platform/logger.js';
import { HOP_REPLY_KEY, hopQueues } from './contract.js';
import { declareHopTopology } from './hop-topology.js';

export interface HopResponder {
  stop(): Promise<void>;
}

export async function startHopResponder(options: { amqpUrl: string; exchange: string; prefetch: number; log: Logger }): Promise<HopResponder> {
  const connection = await amqplib.connect(options.amqpUrl);
  connection.on('error', (error) => options.log.error({ err: error }, 'hop responder connection failed'));
  const channel = await connection.createConfirmChannel();
  await declareHopTopology(channel, options.exchange);
  await channel.prefetch(options.prefetch);
  const { consumerTag } = await channel.consume(hopQueues(options.exchange).request, (message) => {
    if (!message) return;
    channel.publish(options.exchange, HOP_REPLY_KEY, message.content, { persistent: true, correlationId: message.properties.correlationId as string }, (error) => {
      // Acked only once the reply is safely with the broker: the request comes back if the reply was lost.
      if (error) channel.nack(message, false, true);
      else channel.ack(message);
    });
  });
  return {
    async stop() {
      await channel.cancel(consumerTag);
      await channel.waitForConfirms().catch(() => undefined);
      await connection.close();
    },
  };
}
