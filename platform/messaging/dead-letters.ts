// Operators' dead-letter tooling: list dead-letter (and unroutable) queues, look inside them, replay or purge their messages.
import amqplib, { type ChannelModel, type ConfirmChannel, type GetMessage, type Message, type Options } from 'amqplib';
import type { Logger } from '../logger.js';
import { ATTEMPT_HEADER } from './consumer.js';
import { unroutableQueueName } from './topology.js';

const DEAD_LETTER_SUFFIX = '.dlq';

/** Headers that describe a failure; a replayed message starts over without them. */
const FAILURE_HEADERS = [
  'x-last-error',
  'x-dead-lettered-at',
  'x-original-queue',
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
];
/** The broker's own per-queue counters: meaningless on a new copy of the message. */
const BROKER_COUNTER_HEADERS = ['x-delivery-count', 'x-acquired-count'];
/** The event type a message was routed with, as the consumer records it on retry and dead-letter copies. */
const ROUTING_KEY_HEADER = 'x-routing-key';

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
  amqpUrl: string;
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

/** The tool only ever touches dead-letter and unroutable queues: a live queue is refused by name. */
export class NotADeadLetterQueueError extends Error {
  override readonly name = 'NotADeadLetterQueueError';
  constructor(readonly queue: string, exchange: string) {
    super(`${queue} is not a dead-letter queue (expected a name ending in "${DEAD_LETTER_SUFFIX}", or ${unroutableQueueName(exchange)})`);
  }
}

export class DeadLetterQueueNotFoundError extends Error {
  override readonly name = 'DeadLetterQueueNotFoundError';
  constructor(readonly queue: string) {
    super(`Dead-letter queue ${queue} does not exist`);
  }
}

export class DeadLetterNotFoundError extends Error {
  override readonly name = 'DeadLetterNotFoundError';
  constructor(readonly queue: string, readonly messageId: string) {
    super(`No message with id ${messageId} in ${queue}`);
  }
}

/** The queue a dead letter came from is gone; the message stays where it is. */
export class ReplayTargetMissingError extends Error {
  override readonly name = 'ReplayTargetMissingError';
  constructor(readonly queue: string, readonly target: string) {
    super(`Cannot replay from ${queue}: queue ${target} does not exist (start its consumer first); the message was kept`);
  }
}

export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

type Headers = Record<string, unknown>;

/** What happens to one message during a sweep. */
type Decision = { kind: 'keep' } | { kind: 'drop' } | { kind: 'move'; exchange: string; routingKey: string; headers: Headers };

export function createDeadLetters(options: DeadLettersOptions): DeadLetters {
  const { exchange, log } = options;
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
  const unroutable = unroutableQueueName(exchange);

  const isDeadLetterQueue = (queue: string) => queue === unroutable || (queue.endsWith(DEAD_LETTER_SUFFIX) && queue.length > DEAD_LETTER_SUFFIX.length);
  const consumerQueueOf = (queue: string) => (queue === unroutable ? null : queue.slice(0, -DEAD_LETTER_SUFFIX.length));

  async function connect(): Promise<ChannelModel> {
    try {
      return await amqplib.connect(options.amqpUrl, { clientProperties: { connection_name: 'dead-letters' } });
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
  async function sweep(
    connection: ChannelModel,
    queue: string,
    depth: number,
    plan: { decide: (message: GetMessage) => Decision; finished?: () => boolean },
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
          await republish(channel, message, '', queue, keptHeaders(message));
          kept++;
        } else if (decision.kind === 'move') {
          returned = undefined;
          await republish(channel, message, decision.exchange, decision.routingKey, decision.headers);
          // The broker sends basic.return before the confirm: a message it could not route is still ours to keep.
          if (returned) throw new ReplayTargetMissingError(queue, decision.routingKey);
        }
        channel.ack(message);
      }
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  function republish(channel: ConfirmChannel, message: Message, toExchange: string, routingKey: string, headers: Headers): Promise<void> {
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
    return message.fields.exchange === '' ? headers : { ...headers, [ROUTING_KEY_HEADER]: message.fields.routingKey };
  }

  /** Where a replayed message goes, with its attempts reset and the failure forgotten. */
  function replayDecision(queue: string, message: GetMessage): Decision {
    const headers = headersOf(message);
    const fresh: Headers = { ...withoutHeaders(headers, [...FAILURE_HEADERS, ...BROKER_COUNTER_HEADERS]), [ATTEMPT_HEADER]: 1, 'x-replayed-at': new Date().toISOString() };
    if (queue === unroutable) {
      return { kind: 'move', exchange, routingKey: unroutableRoutingKey(message), headers: withoutHeaders(fresh, [ROUTING_KEY_HEADER]) };
    }
    const target = stringHeader(headers, 'x-original-queue') ?? consumerQueueOf(queue)!;
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

function assertLimit(limit: number, max: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new RangeError(`limit must be an integer from 1 to ${max}, got ${limit}`);
}

/** GET /api/queues on the default vhost, with basic auth taken from the URL's credentials. */
async function managementQueueNames(managementUrl: string): Promise<string[]> {
  const base = new URL(managementUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
  base.username = '';
  base.password = '';
  const url = new URL(`${base.pathname.replace(/\/$/, '')}/api/queues/%2F?columns=name`, base);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new BrokerUnavailableError(`RabbitMQ management API at ${base.origin} is not reachable: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  if (!response.ok) throw new BrokerUnavailableError(`RabbitMQ management API answered HTTP ${response.status} for ${url.pathname}`);
  return ((await response.json()) as { name: string }[]).map((queue) => queue.name);
}

function headersOf(message: Message): Headers {
  return message.properties.headers ?? {};
}

function withoutHeaders(headers: Headers, names: readonly string[]): Headers {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)));
}

/** The routing key an unroutable event was published with: as it arrived from the exchange, or as kept by a look at the queue. */
function unroutableRoutingKey(message: Message): string {
  if (message.fields.exchange !== '') return message.fields.routingKey;
  return stringHeader(headersOf(message), ROUTING_KEY_HEADER) ?? message.fields.routingKey;
}

function stringHeader(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
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

/** AMQP timestamps are seconds; amqplib hands them over as a number or as { '!': 'timestamp', value }. */
function isoFromTimestamp(value: unknown): string | null {
  const seconds = typeof value === 'number' ? value : typeof value === 'object' && value !== null && 'value' in value ? Number(value.value) : NaN;
  return Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : null;
}

type XDeath = { reason?: unknown; queue?: unknown; time?: unknown; count?: unknown; 'routing-keys'?: unknown };

function describe(queue: string, message: Message, unroutable: string): DeadLetter {
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
  const attemptHeader = Number(headers[ATTEMPT_HEADER]);
  // x-death is newest first; the retry queues' "expired" entries are the consumer's own backoff, not a failure.
  const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as XDeath[]) : [];
  const brokerDeath = deaths.find((death) => death.reason !== 'expired');
  const lastError = stringHeader(headers, 'x-last-error');

  let reason: string;
  let deadLetteredAt = stringHeader(headers, 'x-dead-lettered-at') ?? null;
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
    originalQueue: queue === unroutable ? null : (stringHeader(headers, 'x-original-queue') ?? queue.slice(0, -DEAD_LETTER_SUFFIX.length)),
    event,
  };
}
