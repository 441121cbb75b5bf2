// Who may do what on the broker: one user per component, an operator and an administrator, and the exact exchanges and queues each may touch.
import { createHash, randomBytes } from 'node:crypto';
import { DEAD_LETTER_SUFFIX, consumerQueueName, unroutableQueueName } from './wire-names.js';

/**
 * RabbitMQ's three regexes on one vhost. configure: declare or delete; write: publish to an exchange, bind a queue;
 * read: consume or purge a queue, bind from an exchange. The default exchange is checked as `amq.default`.
 */
export interface BrokerPermissions {
  configure: string;
  write: string;
  read: string;
}

/** The components that talk to the broker (the payment provider and the carrier stand-ins do not). */
export const BROKER_COMPONENTS = ['api', 'worker', 'inventory', 'notifications', 'order-outcome', 'order-view', 'shipping'] as const;
export type BrokerComponent = (typeof BROKER_COMPONENTS)[number];

/**
 * Everyone who logs in: the components; the operator, as whom the dead-letter tooling (`npm run dlq`, the API's
 * `/admin/dead-letters`) reads the management API and moves dead letters; and the administrator (management UI, user setup).
 */
export const BROKER_ROLES = [...BROKER_COMPONENTS, 'operator', 'admin'] as const;
export type BrokerRole = (typeof BROKER_ROLES)[number];

export interface BrokerGrant {
  /** Management UI tags: none for components (no UI, no HTTP API), `management` for the operator, `administrator` for the admin. */
  tags: readonly string[];
  permissions: BrokerPermissions;
}

/**
 * The queue each component consumes, by the name it passes to consumerQueueName: the handlers' own queues, and the
 * catalog replica each orders-side process embeds (`catalog-replica.<host>`). tests/platform/broker-users.test.ts keeps
 * these equal to the names the components use.
 */
export const consumedQueue: Record<BrokerComponent, string> = {
  api: 'catalog-replica.api',
  worker: 'catalog-replica.worker',
  inventory: 'inventory',
  notifications: 'notifications',
  'order-outcome': 'order-outcome',
  'order-view': 'order-view',
  shipping: 'shipping',
};

/**
 * Stream queues a component keeps besides its consumer queue, by the name it passes to consumerQueueName: the order
 * view's history (event-handlers/order-view/history.ts), which it declares, binds, replays, and appends a marker to.
 */
export const keptStreams: Partial<Record<BrokerComponent, string>> = { 'order-view': 'order-view.history' };

/** Components that publish events: the workflow's order.* (worker), inventory's outcomes and catalog, a replica's snapshot request, shipping's shipment.*. */
const publishes: Record<BrokerComponent, boolean> = {
  api: true,
  worker: true,
  inventory: true,
  notifications: false,
  'order-outcome': false,
  'order-view': false,
  shipping: true,
};

const DEFAULT_EXCHANGE = 'amq.default';
const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anyOf = (patterns: readonly string[]) => `^(${patterns.join('|')})$`;

/**
 * Each role's grant, derived from the topology (platform/messaging/topology.ts) on the given events exchange:
 * - every component declares the exchange and its unroutable exchange and queue (configure), binds the latter (write
 *   on the queue, read on the exchange), and declares its own queue with its retry and dead-letter queues;
 * - a consumer binds its queue to the exchange (write on the queue, read on the exchange), consumes it (read), and
 *   sends retries and dead letters through the default exchange, which is also its queues' dead-letter exchange (declaring a
 *   queue with a dead-letter exchange takes read on the queue and write on that exchange);
 * - a publisher publishes to the exchange (write); notifications and order-outcome only consume, so they cannot publish.
 */
export function brokerGrants(exchange: string): Record<BrokerRole, BrokerGrant> {
  const events = escape(exchange);
  const unroutable = escape(unroutableQueueName(exchange));
  const componentGrant = (component: BrokerComponent): BrokerGrant => {
    const queue = escape(consumerQueueName(exchange, consumedQueue[component]));
    const retryQueues = `${queue}\\.retry\\.\\d+ms`;
    const stream = keptStreams[component];
    const streams = stream === undefined ? [] : [escape(consumerQueueName(exchange, stream))];
    return {
      tags: [],
      permissions: {
        configure: anyOf([events, unroutable, queue, `${queue}${escape(DEAD_LETTER_SUFFIX)}`, retryQueues, ...streams]),
        write: anyOf([...(publishes[component] ? [events] : []), unroutable, queue, escape(DEFAULT_EXCHANGE), ...streams]),
        // Declaring a queue with a dead-letter exchange takes read on the queue: the retry queues, whose messages return to `queue`.
        read: anyOf([events, unroutable, queue, retryQueues, ...streams]),
      },
    };
  };
  return {
    ...(Object.fromEntries(BROKER_COMPONENTS.map((component) => [component, componentGrant(component)])) as Record<BrokerComponent, BrokerGrant>),
    // Looks at and takes from dead-letter and unroutable queues; puts messages back at a queue's tail or into their consumer's
    // queue (default exchange) or, for unroutable events, into the events exchange. Declares and deletes nothing.
    operator: {
      tags: ['management'],
      permissions: { configure: '^$', write: anyOf([events, escape(DEFAULT_EXCHANGE)]), read: anyOf([unroutable, `.*${escape(DEAD_LETTER_SUFFIX)}`]) },
    },
    admin: { tags: ['administrator'], permissions: { configure: '.*', write: '.*', read: '.*' } },
  };
}

export interface BrokerCredentials {
  username: string;
  password: string;
}

/** A user as the broker stores it. */
export interface BrokerAccount extends BrokerCredentials, BrokerGrant {
  role: BrokerRole;
}

/** The accounts for the given credentials, each with its role's grant. */
export function brokerAccounts(exchange: string, credentials: Partial<Record<BrokerRole, BrokerCredentials>>): BrokerAccount[] {
  const grants = brokerGrants(exchange);
  return BROKER_ROLES.flatMap((role) => {
    const given = credentials[role];
    return given ? [{ role, ...given, ...grants[role] }] : [];
  });
}

/** Fresh credentials for every role, named after it (optionally with a prefix, so that test runs sharing a broker do not collide). */
export function generateBrokerCredentials(prefix = ''): Record<BrokerRole, BrokerCredentials> {
  return Object.fromEntries(
    BROKER_ROLES.map((role) => [role, { username: `${prefix}${role}`, password: randomBytes(24).toString('base64url') }]),
  ) as Record<BrokerRole, BrokerCredentials>;
}

/** An AMQP or management URL with these credentials in it (percent-encoded, so any password works). */
export function withCredentials(url: string, credentials: BrokerCredentials): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(credentials.username);
  parsed.password = encodeURIComponent(credentials.password);
  return parsed.toString().replace(/\/$/, '');
}

/**
 * The accounts as RabbitMQ definitions (users, the default vhost, permissions), for a node to import when it boots.
 * A node that imports definitions at boot never creates guest. Passwords are stored as RabbitMQ's salted SHA-256.
 */
export function brokerDefinitions(accounts: readonly BrokerAccount[]): object {
  return {
    vhosts: [{ name: '/' }],
    users: accounts.map((account) => ({
      name: account.username,
      password_hash: rabbitPasswordHash(account.password),
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      // 3.10 reads tags as one comma-separated string; later versions accept it too.
      tags: account.tags.join(','),
    })),
    permissions: accounts.map((account) => ({ user: account.username, vhost: '/', ...account.permissions })),
  };
}

/** rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ password)) with a 4-byte random salt. */
function rabbitPasswordHash(password: string): string {
  const salt = randomBytes(4);
  const digest = createHash('sha256').update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

export class BrokerUsersError extends Error {
  override readonly name: string = 'BrokerUsersError';
}

/** The management API did not answer at all (not started yet, or the wrong address). */
export class ManagementApiUnreachableError extends BrokerUsersError {
  override readonly name = 'ManagementApiUnreachableError';
}

/**
 * Creates or updates each account through the management API (PUT /api/users, PUT /api/permissions on the default
 * vhost) as the administrator in `managementUrl`, then deletes guest unless told to keep it. Safe to run again.
 */
export async function applyBrokerAccounts(managementUrl: string, accounts: readonly BrokerAccount[], { keepGuest = false } = {}): Promise<void> {
  const base = new URL(managementUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
  const call = async (method: 'PUT' | 'DELETE', path: string, body?: object, allowed: number[] = []) => {
    const url = new URL(`${base.pathname.replace(/\/$/, '')}/api/${path}`, base.origin);
    const response = await fetch(url, {
      method,
      headers: { authorization, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    }).catch((error: unknown) => {
      throw new ManagementApiUnreachableError(`RabbitMQ management API at ${base.host} is not reachable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    const text = await response.text();
    if (!response.ok && !allowed.includes(response.status)) {
      throw new BrokerUsersError(`RabbitMQ management API: ${method} /api/${path} answered HTTP ${response.status} ${text}`);
    }
  };
  for (const account of accounts) {
    const user = encodeURIComponent(account.username);
    await call('PUT', `users/${user}`, { password: account.password, tags: account.tags.join(',') });
    await call('PUT', `permissions/%2F/${user}`, account.permissions);
  }
  // Gone already is fine: the command is meant to be run again.
  if (!keepGuest) await call('DELETE', 'users/guest', undefined, [404]);
}
