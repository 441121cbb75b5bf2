// The AMQP hop's exchange and queues: declared the same way by the responder and the bench, whichever comes first.
import type { Channel } from 'amqplib';
import { HOP_REPLY_KEY, HOP_REQUEST_KEY, hopQueues } from './contract.js';

/** Quorum queues and persistent messages, like the consumers' queues (platform/messaging/topology.ts), so the hop pays what an event pays. */
export async function declareHopTopology(channel: Channel, exchange: string): Promise<void> {
  const queues = hopQueues(exchange);
  await channel.assertExchange(exchange, 'direct', { durable: true });
  for (const [queue, key] of [[queues.request, HOP_REQUEST_KEY], [queues.reply, HOP_REPLY_KEY]] as const) {
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.bindQueue(queue, exchange, key);
  }
}

/** Quorum queues outlive their connections: whoever set the run up removes them. */
export async function deleteHopTopology(channel: Channel, exchange: string): Promise<void> {
  const queues = hopQueues(exchange);
  await channel.deleteQueue(queues.request);
  await channel.deleteQueue(queues.reply);
  await channel.deleteExchange(exchange);
}
