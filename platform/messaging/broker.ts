// The broker connection: amqp-connection-manager reconnects and re-runs channel setup (topology) after every reconnect.
import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import amqplib, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from '../logger.js';
import type { AuxiliaryQueueType } from './topology.js';

export interface Broker {
  /** Who is connected (the component's name): names the connection in the management UI, the component in its spans and metrics. */
  readonly name: string;
  readonly connection: AmqpConnectionManager;
  /** A confirm channel whose setup runs again on every reconnect. */
  createChannel(name: string, setup: (channel: ConfirmChannel) => Promise<void>): ChannelWrapper;
  isConnected(): boolean;
  /** The type of the retry and unroutable queues this connection declares (RABBITMQ_QUEUE_TYPE). */
  readonly queueType: AuxiliaryQueueType;
  close(): Promise<void>;
}

export interface BrokerOptions {
  /** @default 'classic' */
  queueType?: AuxiliaryQueueType;
}

/** `urls`: one node, or every node of a cluster; on a lost connection the manager moves on to the next URL in turn. */
export async function connectBroker(urls: string | readonly string[], log: Logger, name: string, options: BrokerOptions = {}): Promise<Broker> {
  const connection = amqp.connect(typeof urls === 'string' ? [urls] : [...urls], {
    heartbeatIntervalInSeconds: 10,
    reconnectTimeInSeconds: 1,
    connectionOptions: { clientProperties: { connection_name: name } },
  });
  connection.on('connect', () => log.info('connected to RabbitMQ'));
  connection.on('disconnect', ({ err }) => log.warn({ err }, 'disconnected from RabbitMQ; reconnecting'));
  connection.on('connectFailed', ({ err }) => log.warn({ err }, 'could not connect to RabbitMQ; retrying'));
  connection.on('blocked', ({ reason }) => log.warn({ reason }, 'RabbitMQ blocked publishing'));
  connection.on('unblocked', () => log.info('RabbitMQ unblocked publishing'));

  return {
    name,
    connection,
    createChannel(channelName, setup) {
      const channel = connection.createChannel({ name: channelName, confirm: true, setup });
      channel.on('error', (err, info) => log.error({ err, channel: info?.name }, 'channel setup failed'));
      return channel;
    },
    isConnected: () => connection.isConnected(),
    queueType: options.queueType ?? 'classic',
    close: () => connection.close(),
  };
}

/**
 * A short-lived amqplib connection (operators' tooling, the order view's replay) to the first node of `urls` that accepts
 * one, so that it works while any node of a cluster is up; the last node's error when none does.
 */
export async function connectToAnyNode(urls: string | readonly string[], socketOptions: object): Promise<ChannelModel> {
  const candidates = typeof urls === 'string' ? [urls] : urls;
  let lastError: unknown = new Error('no broker URL given');
  for (const url of candidates) {
    try {
      return await amqplib.connect(url, socketOptions);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
