// Operators' dead-letter tooling: list dead-letter (and unroutable) queues, look inside them, replay or purge their messages.
import type { ChannelModel, GetMessage } from 'amqplib';
import { connectToAnyNode } from './broker.js';
import type { Logger } from '../logger.js';
import { describe } from './dead-letters/describe.js';
import {
  BrokerUnavailableError,
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  NotADeadLetterQueueError,
} from './dead-letters/errors.js';
import { managementQueueNames } from './dead-letters/management-api.js';
import { BROKER_COUNTER_HEADERS, FAILURE_HEADERS, headersOf, stringHeader, unroutableRoutingKey, withoutHeaders, type Headers } from './dead-letters/message-headers.js';
import { sweepQueue, type Decision, type SweepPlan } from './dead-letters/sweep.js';
import { consumerQueueOfDeadLetters, MessageHeader, unroutableQueueName } from './wire-names.js';

export {
  BrokerUnavailableError,
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  NotADeadLetterQueueError,
  ReplayTargetMissingError,
} from './dead-letters/errors.js';

export interface DeadLetterQueue {
  queue: string;
  /** The consumer queue whose failures land here; null for the unroutable queue, which belongs to no consumer. */
  consumerQueue: string | null;
  kind: 'dead-letter' | 'unroutable';
  messages: number;
}

export interface DeadLetter {
  messageId: string | null;
  type: string | null;
  orderId: string | null;
  /** The consumer's attempt count when it gave up; null when the broker dead-lettered it or it was never consumed. */
  attempts: number | null;
  /** Why it is here: the handler's last error, the broker's dead-letter reason, or "unroutable". */
  reason: string;
  deadLetteredAt: string | null;
  /** Where replay sends it; null for unroutable events, which are republished to the events exchange instead. */
  originalQueue: string | null;
  /** The event as published (parsed JSON), or the raw body when it is not JSON. */
  event: unknown;
}

export interface DeadLetters {
  list(): Promise<DeadLetterQueue[]>;
  show(queue: string, options?: { limit?: number }): Promise<DeadLetter[]>;
  /** Moves messages back (all, the first `limit`, or the one with `messageId`); resolves to how many moved. */
  replay(queue: string, options?: { messageId?: string; limit?: number }): Promise<number>;
  /** Drops every message, or the one with `messageId`; resolves to how many were dropped. */
  purge(queue: string, options?: { messageId?: string }): Promise<number>;
}

export interface DeadLettersOptions {
  /** The broker; the tooling logs in with the management URL's credentials instead of these (see operatorAmqpUrl). */
  amqpUrl: string | readonly string[];
  /** The RabbitMQ management API, with credentials in the URL (http://user:pass@host:15672). */
  managementUrl: string;
  /** The events exchange: its unroutable queue is treated as a dead-letter queue, and unroutable replays go to it. */
  exchange: string;
  log: Logger;
  /** How long a publish waits for the broker's confirm. @default 10s */
  confirmTimeoutMs?: number;
}

export const DEFAULT_SHOW_LIMIT = 20;
export const MAX_SHOW_LIMIT = 1_000;

export function createDeadLetters(options: DeadLettersOptions): DeadLetters {
  const { exchange, log } = options;
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
  const unroutable = unroutableQueueName(exchange);

  const isDeadLetterQueue = (queue: string) => queue === unroutable || consumerQueueOfDeadLetters(queue) !== undefined;
  const consumerQueueOf = (queue: string) => (queue === unroutable ? null : (consumerQueueOfDeadLetters(queue) ?? null));

  async function connect(): Promise<ChannelModel> {
    try {
      const urls = typeof options.amqpUrl === 'string' ? [options.amqpUrl] : options.amqpUrl;
      return await connectToAnyNode(urls.map((url) => operatorAmqpUrl(url, options.managementUrl)), { clientProperties: { connection_name: 'dead-letters' } });
    } catch (error) {
      throw new BrokerUnavailableError(`RabbitMQ is not reachable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** Runs `work` on a fresh connection, closed afterwards; anything unacked then goes back to its queue. */
  async function withConnection<T>(work: (connection: ChannelModel) => Promise<T>): Promise<T> {
    const connection = await connect();
    // A closed channel is also reported on the connection; it is handled where it happens.
    connection.on('error', () => undefined);
    try {
      return await work(connection);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  /** Ready messages in a queue, or undefined when it does not exist (a failed passive declare closes its channel, so it gets its own). */
  async function depthOf(connection: ChannelModel, queue: string): Promise<number | undefined> {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch {
      return undefined;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async function requireDeadLetterQueue(connection: ChannelModel, queue: string): Promise<number> {
    if (!isDeadLetterQueue(queue)) throw new NotADeadLetterQueueError(queue, exchange);
    const depth = await depthOf(connection, queue);
    if (depth === undefined) throw new DeadLetterQueueNotFoundError(queue);
    return depth;
  }

  const sweep = (connection: ChannelModel, queue: string, depth: number, plan: SweepPlan) =>
    sweepQueue(connection, queue, depth, plan, confirmTimeoutMs);

  /** Where a replayed message goes, with its attempts reset and the failure forgotten. */
  function replayDecision(queue: string, message: GetMessage): Decision {
    const headers = headersOf(message);
    const fresh: Headers = { ...withoutHeaders(headers, [...FAILURE_HEADERS, ...BROKER_COUNTER_HEADERS]), [MessageHeader.attempt]: 1, [MessageHeader.replayedAt]: new Date().toISOString() };
    if (queue === unroutable) {
      return { kind: 'move', exchange, routingKey: unroutableRoutingKey(message), headers: withoutHeaders(fresh, [MessageHeader.routingKey]) };
    }
    const target = stringHeader(headers, MessageHeader.originalQueue) ?? consumerQueueOf(queue)!;
    // Published straight to the queue (default exchange), so only the consumer that failed sees it again.
    return { kind: 'move', exchange: '', routingKey: target, headers: fresh };
  }

  return {
    async list() {
      // AMQP cannot enumerate queues; the management API can.
      const names = (await managementQueueNames(options.managementUrl)).filter(isDeadLetterQueue).sort();
      return withConnection(async (connection) => {
        const listed: DeadLetterQueue[] = [];
        for (const queue of names) {
          // The management API's counts lag by its statistics interval (5s); a passive declare is exact.
          const messages = await depthOf(connection, queue);
          if (messages === undefined) continue;
          listed.push({ queue, consumerQueue: consumerQueueOf(queue), kind: queue === unroutable ? 'unroutable' : 'dead-letter', messages });
        }
        return listed;
      });
    },

    async show(queue, { limit = DEFAULT_SHOW_LIMIT } = {}) {
      assertLimit(limit, MAX_SHOW_LIMIT);
      return withConnection(async (connection) => {
        const depth = await requireDeadLetterQueue(connection, queue);
        const shown: DeadLetter[] = [];
        await sweep(connection, queue, depth, {
          decide: (message) => {
            if (shown.length < limit) shown.push(describe(queue, message, unroutable));
            return { kind: 'keep' };
          },
        });
        return shown;
      });
    },

    async replay(queue, { messageId, limit } = {}) {
      if (limit !== undefined) assertLimit(limit, Number.MAX_SAFE_INTEGER);
      return withConnection(async (connection) => {
        // Bounded by the depth now: an unroutable event replayed while still unroutable comes straight back to this queue.
        const depth = await requireDeadLetterQueue(connection, queue);
        let replayed = 0;
        await sweep(connection, queue, depth, {
          finished: () => (messageId !== undefined ? replayed > 0 : limit !== undefined && replayed >= limit),
          decide: (message) => {
            if (messageId !== undefined && message.properties.messageId !== messageId) return { kind: 'keep' };
            replayed++;
            return replayDecision(queue, message);
          },
        });
        if (messageId !== undefined && replayed === 0) throw new DeadLetterNotFoundError(queue, messageId);
        log.info({ queue, replayed, messageId }, 'replayed dead letters');
        return replayed;
      });
    },

    async purge(queue, { messageId } = {}) {
      return withConnection(async (connection) => {
        const depth = await requireDeadLetterQueue(connection, queue);
        let purged = 0;
        if (messageId === undefined) {
          const channel = await connection.createChannel();
          try {
            purged = (await channel.purgeQueue(queue)).messageCount;
          } finally {
            await channel.close().catch(() => undefined);
          }
        } else {
          await sweep(connection, queue, depth, {
            finished: () => purged > 0,
            decide: (message) => {
              if (message.properties.messageId !== messageId) return { kind: 'keep' };
              purged++;
              return { kind: 'drop' };
            },
          });
          if (purged === 0) throw new DeadLetterNotFoundError(queue, messageId);
        }
        log.info({ queue, purged, messageId }, 'purged dead letters');
        return purged;
      });
    },
  };
}

/**
 * The tooling acts as one user throughout: the operator named in the management URL, whose permissions reach the dead-letter
 * and unroutable queues (platform/messaging/broker-users.ts), and not the user of the component it runs in (the API's user
 * may touch only its own queues). A management URL without credentials leaves the AMQP URL as it is.
 */
export function operatorAmqpUrl(amqpUrl: string, managementUrl: string): string {
  const management = new URL(managementUrl);
  if (!management.username) return amqpUrl;
  const amqp = new URL(amqpUrl);
  amqp.username = management.username;
  amqp.password = management.password;
  return amqp.toString();
}

function assertLimit(limit: number, max: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new RangeError(`limit must be an integer from 1 to ${max}, got ${limit}`);
}
