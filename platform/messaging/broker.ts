// The broker connection: amqp-connection-manager reconnects and re-runs channel setup (topology) after every reconnect.
import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import type { Logger } from '../logger.js';

export interface Broker {
  /** Who is connected (the component's name): names the connection in the management UI, the component in its spans and metrics. */
  readonly name: string;
  readonly connection: AmqpConnectionManager;
  /** A confirm channel whose setup runs again on every reconnect. */
  createChannel(name: string, setup: (channel: ConfirmChannel) => Promise<void>): ChannelWrapper;
  isConnected(): boolean;
  close(): Promise<void>;
}

export async function connectBroker(url: string, log: Logger, name: string): Promise<Broker> {
  const connection = amqp.connect([url], {
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
    close: () => connection.close(),
  };
}
