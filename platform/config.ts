// Configuration for every component: read from the environment once, validated with zod, failing fast by variable name.
import { isIP } from 'node:net';
import { z } from 'zod';
import { crashPoints } from './crash-points.js';
import { DEFAULT_EVENTS_EXCHANGE } from './messaging/wire-names.js';

/** Durations are written as `300ms`, `20s`, `5m`, `1h`, or a bare number of milliseconds. */
const duration = z.string().trim().transform((raw, ctx) => {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(raw);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 500ms, 30s, 5m or 1h, got "${raw}"` });
    return z.NEVER;
  }
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * factor);
});

const port = z.coerce.number().int().min(0).max(65_535);

/**
 * `AMQP_URL`: one broker, or a comma-separated list of a cluster's nodes. Clients connect to the first that answers and
 * move on to the next when theirs goes away, so every node of a cluster should be listed.
 */
const amqpUrls = z.string().transform((raw) => raw.split(',').map((entry) => entry.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^amqps?:\/\//, 'expected an amqp:// or amqps:// URL, or a comma-separated list of them')).min(1, 'expected at least one amqp:// URL'));
const url = z.url();
const milliseconds = z.string().trim().regex(/^\d+(,\d+)*$/, 'expected comma-separated milliseconds, e.g. 1000,5000,30000')
  .transform((raw) => raw.split(',').map(Number));

/** `PAYLOAD_KEYS`: `id:base64key,...`, each key 32 bytes (AES-256); the first encrypts, every one decrypts (rotation). */
const payloadKeys = z.string().trim().transform((raw, ctx) => {
  const keys: { id: string; key: Buffer }[] = [];
  for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([A-Za-z0-9_.-]{1,32}):([A-Za-z0-9+/=_-]+)$/.exec(entry);
    const key = match ? Buffer.from(match[2]!, 'base64') : undefined;
    if (!match || key?.length !== 32) {
      ctx.addIssue({ code: 'custom', message: 'expected comma-separated id:key pairs, each key 32 bytes in base64, e.g. k1:<openssl rand -base64 32>' });
      return z.NEVER;
    }
    if (keys.some((known) => known.id === match[1])) {
      ctx.addIssue({ code: 'custom', message: `key id "${match[1]}" appears twice` });
      return z.NEVER;
    }
    keys.push({ id: match[1]!, key: key });
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'expected at least one id:key pair' });
    return z.NEVER;
  }
  return keys;
});

/** Names proxy-addr (express's `trust proxy`) knows for address ranges. */
const namedProxyRanges = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `TRUST_PROXY`, read once into what express's `trust proxy` takes: `false` (clients connect directly), `true` (trust
 * every hop: only behind a proxy that overwrites X-Forwarded-For), a hop count, or a list of proxy addresses, CIDR
 * ranges or the names loopback, linklocal, uniquelocal.
 */
const trustProxy = z.string().trim().transform((raw, ctx): boolean | number | string[] => {
  if (/^(false|true)$/i.test(raw)) return raw.toLowerCase() === 'true';
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  const invalid = entries.filter((entry) => {
    const [address, prefix, ...rest] = entry.split('/');
    if (rest.length > 0 || address === undefined) return true;
    if (prefix === undefined) return isIP(address) === 0 && !namedProxyRanges.includes(address);
    const bits = isIP(address) === 4 ? 32 : isIP(address) === 6 ? 128 : 0;
    return bits === 0 || !/^\d+$/.test(prefix) || Number(prefix) > bits;
  });
  if (entries.length === 0 || invalid.length > 0) {
    ctx.addIssue({ code: 'custom', message: `expected false, true, a hop count, or comma-separated addresses, CIDR ranges or ${namedProxyRanges.join('/')}; not ${invalid.join(', ') || 'empty'}` });
    return z.NEVER;
  }
  return entries;
});

/** A shared secret: long enough that guessing it is not an option. */
const secret = z.string().min(32, 'expected a secret of at least 32 characters, e.g. $(openssl rand -base64 32)');

const environment = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** Bind address of every HTTP server; 0.0.0.0 inside containers. */
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  PUBLIC_URL: url.optional(),
  PAYMENT_PROVIDER_PORT: port.default(3100),
  PAYMENT_PROVIDER_URL: url.default('http://127.0.0.1:3100'),
  INVENTORY_PORT: port.default(3200),
  INVENTORY_URL: url.default('http://127.0.0.1:3200'),
  NOTIFICATIONS_PORT: port.default(3300),
  NOTIFICATIONS_URL: url.default('http://127.0.0.1:3300'),
  ORDER_OUTCOME_PORT: port.default(3400),
  ORDER_OUTCOME_URL: url.default('http://127.0.0.1:3400'),
  /** The worker's /health and /metrics (it serves nothing else over HTTP). */
  WORKER_METRICS_PORT: port.default(3500),
  /** The order view (the order read model the API answers order reads from). */
  ORDER_VIEW_PORT: port.default(3600),
  ORDER_VIEW_URL: url.default('http://127.0.0.1:3600'),
  /** How long the API waits for the order view before answering from Temporal instead. */
  ORDER_VIEW_READ_TIMEOUT: duration.prefault('2s'),
  /** Retention of the order view's history stream (x-max-age; RabbitMQ's units Y, M, D, h, m, s): a rebuild replays what is kept. */
  ORDER_VIEW_HISTORY_MAX_AGE: z.string().trim().regex(/^\d+[YMDhms]$/, 'expected a number and one of Y, M, D, h, m, s, e.g. 30D').default('30D'),
  /** Retention of the order view's history stream in bytes (x-max-length-bytes). */
  ORDER_VIEW_HISTORY_MAX_BYTES: z.coerce.number().int().positive().default(2_000_000_000),
  /** The carrier stand-in (carrier/), which shipping books parcels with. */
  CARRIER_PORT: port.default(3700),
  CARRIER_URL: url.default('http://127.0.0.1:3700'),
  /** How long after booking the carrier stand-in reports a parcel delivered (short in tests). */
  CARRIER_DELIVERY_DELAY: duration.prefault('20s'),
  SHIPPING_PORT: port.default(3800),
  SHIPPING_URL: url.default('http://127.0.0.1:3800'),
  /** Shipping's wait before booking again while the carrier fails; the last value repeats (a shipment is never given up). */
  SHIPPING_RETRY_DELAYS_MS: milliseconds.prefault('1000,5000,30000'),
  /** How often shipping asks the carrier about a dispatched parcel, until it is delivered. */
  SHIPPING_TRACKING_INTERVAL: duration.prefault('5s'),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_URL: url.default('http://127.0.0.1:8233'),
  /** Unset: the order workflow's own task queue (ORDER_TASK_QUEUE in workflows/contract.ts, `orders`). */
  TEMPORAL_TASK_QUEUE: z.string().min(1).optional(),
  WORKER_SHUTDOWN_GRACE: duration.prefault('10s'),
  /**
   * A workflow bundle built ahead (`npm run build:workflows -- PATH`; npm start and the image do). Unset, the worker
   * bundles its workflows itself, which costs it seconds at start and about 170 MB of memory for good.
   */
  WORKER_WORKFLOW_BUNDLE: z.string().trim().min(1).optional(),
  /**
   * Workflows the worker keeps in memory between their tasks. The SDK's default grows with the heap limit (about 2,300
   * on a 24 GiB machine), and a thousand orders waiting on inventory took the worker to 3.5 GB: each cached workflow
   * keeps little (tens of KB of heap), but running many makes garbage that V8, given gigabytes, collects late. Fifty
   * covers every order in flight at the bench's rates; one evicted replays its short history when its outcome comes,
   * which did not slow a 1,500-order drain (README, Performance).
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(50),

  AMQP_URL: amqpUrls.prefault('amqp://guest:guest@127.0.0.1:5672'),
  /**
   * The type of the queues that are not consumer or dead-letter queues (those are always quorum): the retry delay queues and
   * the unroutable queue. `classic` keeps a development broker's existing queues declarable; a cluster needs `quorum`, or a
   * retry waiting on a stopped node waits for that node. A queue's type cannot change once declared.
   */
  RABBITMQ_QUEUE_TYPE: z.enum(['classic', 'quorum']).default('classic'),
  EVENTS_EXCHANGE: z.string().min(1).default(DEFAULT_EVENTS_EXCHANGE),
  /** The management API, for operators' dead-letter tooling (lists queues and their depths). */
  RABBITMQ_MANAGEMENT_URL: url.default('http://guest:guest@127.0.0.1:15672'),
  CONSUMER_PREFETCH: z.coerce.number().int().min(1).max(1_000).default(20),
  CONSUMER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  CONSUMER_RETRY_DELAYS_MS: milliseconds.prefault('1000,5000,30000'),
  PUBLISH_CONFIRM_TIMEOUT: duration.prefault('10s'),
  OUTBOX_POLL_INTERVAL: duration.prefault('500ms'),

  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').optional(),
  DATA_DIR: z.string().min(1).default('.data'),

  /** Unset: the order workflow's own default deadline (DEFAULT_INVENTORY_TIMEOUT_MS in workflows/contract.ts, 5 minutes). */
  INVENTORY_TIMEOUT: duration.optional(),
  /** The inventory watchdog: an order waiting on inventory longer than this is flagged slow. Unset: a fifth of the deadline. */
  INVENTORY_SLOW_AFTER: duration.optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'expected an smtp:// or smtps:// URL').optional(),
  NOTIFICATIONS_FROM: z.string().min(3).default('orders@ensemble.local'),
  SEED_DEMO_CATALOG: z.stringbool().default(true),
  /** Base URL of an OTLP/HTTP trace collector (Jaeger: http://jaeger:4318). Unset: spans are made and propagated, not exported. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  /** The OpenTelemetry switch: true turns tracing off (no spans, no trace ids in logs or the timeline). */
  OTEL_SDK_DISABLED: z.stringbool().default(false),
  /** HS256 secret for the API's bearer tokens (local and tests). Production: JWT_JWKS_URL instead. */
  JWT_SECRET: secret.optional(),
  /** Where the API fetches the public keys of RS256/ES256 tokens (the identity provider's JWKS). */
  JWT_JWKS_URL: url.optional(),
  JWT_ISSUER: z.string().min(1).default('ensemble'),
  JWT_AUDIENCE: z.string().min(1).default('ensemble-api'),
  /** Clock skew allowed on a token's exp/nbf/iat. */
  JWT_CLOCK_TOLERANCE: duration.prefault('30s'),
  /** The shared service credential: the components' own HTTP surfaces answer only to the API, the worker and operators. */
  SERVICE_TOKEN: secret.optional(),
  /** Keys of the Temporal payload codec (AES-256-GCM); every client and worker must have them. */
  PAYLOAD_KEYS: payloadKeys.optional(),
  /** The origin allowed to call the codec endpoint from a browser (the Temporal UI). Unset: TEMPORAL_UI_URL's origin. */
  CODEC_CORS_ORIGIN: url.optional(),
  /** Express's `trust proxy`: false (direct clients), true, a hop count, or a comma-separated list of proxy addresses. */
  TRUST_PROXY: trustProxy.prefault('false'),
  /** Requests per client (its token's subject, else its address) per minute before 429. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1_200),
  /** Fault testing only: comma-separated crash points (platform/crash-points.ts) at which the process kills itself. */
  CRASH_AT: z.string().transform((raw) => raw.split(',').map((point) => point.trim()).filter(Boolean)).pipe(z.array(z.enum(crashPoints))).prefault(''),
});

export type Config = z.infer<typeof environment>;

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
  }
}

/** Parses the environment into a typed configuration; throws naming every variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset" so that `FOO= npm start` falls back to the default instead of failing.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environment.safeParse(present);
  if (!parsed.success) {
    throw new ConfigurationError(parsed.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message })));
  }
  return parsed.data;
}

/** The settings a component cannot run without although others can: named, like every configuration error. */
export function requireSetting<K extends keyof Config>(config: Config, variable: K, why: string): NonNullable<Config[K]> {
  const value = config[variable];
  if (value === undefined || value === null) throw new ConfigurationError([{ variable, message: `required ${why}` }]);
  return value;
}

/** Every variable the platform reads, for documentation and for the configuration test. */
export const configVariables = Object.keys(environment.shape) as (keyof Config)[];
