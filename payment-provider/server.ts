// The payment provider stand-in: an HTTP service with a card processor's semantics (authorize, capture, void, refund, Idempotency-Key, test tokens).
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { serverUrl } from '../platform/http-server.js';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { ResourceStack } from '../platform/lifecycle.js';
import { openDatabase } from '../platform/store/database.js';
import { migrate } from '../platform/store/migrations.js';
import { FaultInjector, faultSettingsSchema } from './faults.js';
import {
  createPaymentsStore,
  errorBody,
  paymentsMigrations,
  PAYMENTS_SCHEMA,
  type AuthorizationOperation,
  type PaymentsStore,
  type ProviderResponse,
} from './store.js';

export interface PaymentProvider {
  /** Base URL the service listens on, e.g. `http://127.0.0.1:3100`. */
  readonly url: string;
  stop(): Promise<void>;
}

/** How long stop() lets in-flight requests finish before cutting their connections. */
const STOP_GRACE_MS = 10_000;

const authorizationRequestSchema = z.strictObject({
  orderId: z.string().trim().min(1).max(200),
  amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'expected a three-letter ISO 4217 currency code')
    .transform((code) => code.toUpperCase()),
  token: z.string().regex(/^tok_[A-Za-z0-9_]+$/, 'expected a card token starting with tok_'),
});

// Capture, void and refund take no parameters; an empty or absent body is the only valid one.
const operationRequestSchema = z.strictObject({}).optional();

const idempotencyKeySchema = z.string().trim().min(1).max(255);

class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

function validationError(error: z.ZodError): ApiError {
  return new ApiError(
    400,
    'validation_failed',
    'the request is invalid',
    error.issues.flatMap((issue) =>
      // An unknown field is reported under its own name, so the client sees which field to drop.
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: [...issue.path, key].join('.'), message: 'unknown field' }))
        : [{ path: issue.path.join('.') || '(body)', message: issue.message }],
    ),
  );
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error);
  return result.data;
}

function requiredIdempotencyKey(req: Request): string {
  const key = req.get('Idempotency-Key');
  if (key === undefined || key.trim() === '') {
    throw new ApiError(400, 'idempotency_key_required', 'the Idempotency-Key header is required', [
      { path: 'Idempotency-Key', message: 'header is required' },
    ]);
  }
  const result = idempotencyKeySchema.safeParse(key);
  if (!result.success) {
    throw new ApiError(400, 'validation_failed', 'the request is invalid', [
      { path: 'Idempotency-Key', message: result.error.issues[0]?.message ?? 'invalid' },
    ]);
  }
  return result.data;
}

const fingerprint = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

const send = (res: Response, answer: ProviderResponse) => res.status(answer.status).json(answer.body);

function createApp(store: PaymentsStore, faults: FaultInjector, log: Logger) {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/__faults', (_req, res) => {
    res.json(faults.current());
  });
  app.post('/__faults', (req, res) => {
    const state = faults.configure(parse(faultSettingsSchema, req.body ?? {}));
    log.warn({ faults: state }, 'fault injection configured');
    res.json(state);
  });
  app.delete('/__faults', (_req, res) => {
    res.json(faults.clear());
  });

  const api = express.Router();
  api.use(faults.middleware);

  api.post('/authorizations', async (req, res) => {
    const idempotencyKey = requiredIdempotencyKey(req);
    const request = parse(authorizationRequestSchema, req.body);
    const answer = await store.authorize(
      { scope: 'authorize', key: idempotencyKey, fingerprint: fingerprint([request.orderId, request.amount, request.currency, request.token]) },
      request,
    );
    log.info({ orderId: request.orderId, status: answer.status, idempotencyKey }, 'authorization requested');
    send(res, answer);
  });

  for (const operation of ['capture', 'void', 'refund'] as const satisfies readonly AuthorizationOperation[]) {
    api.post(`/authorizations/:id/${operation}`, async (req: Request<{ id: string }>, res) => {
      parse(operationRequestSchema, req.body);
      const key = req.get('Idempotency-Key')?.trim();
      const authorizationId = req.params.id;
      const answer = await store.operate(
        authorizationId,
        operation,
        key ? { scope: `${operation}:${authorizationId}`, key: parse(idempotencyKeySchema, key), fingerprint: fingerprint([]) } : undefined,
      );
      log.info({ authorizationId, operation, status: answer.status }, 'authorization operation');
      send(res, answer);
    });
  }

  api.get('/authorizations/:id', async (req: Request<{ id: string }>, res) => {
    const authorization = await store.get(req.params.id);
    if (!authorization) throw new ApiError(404, 'not_found', `no authorization ${req.params.id}`);
    res.json(authorization);
  });

  api.get('/authorizations', async (req, res) => {
    const { orderId } = parse(z.object({ orderId: z.string().trim().min(1) }), req.query);
    res.json({ authorizations: await store.findByOrder(orderId) });
  });

  app.use('/v1', api);

  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`)));

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof ApiError) {
      res.status(error.status).json(errorBody(error.code, error.message, error.details));
      return;
    }
    // body-parser marks its own failures (malformed JSON, too large) with a status and a type.
    const parserError = error as { status?: number; type?: string; message?: string };
    if (typeof parserError.type === 'string' && typeof parserError.status === 'number' && parserError.status < 500) {
      const code = parserError.type === 'entity.parse.failed' ? 'invalid_json' : parserError.type.replaceAll('.', '_');
      res.status(parserError.status).json(errorBody(code, parserError.message ?? 'the request body could not be read'));
      return;
    }
    log.error({ err: error, method: req.method, path: req.path }, 'request failed');
    res.status(500).json(errorBody('internal_error', 'the payment provider failed to process the request'));
  });

  return app;
}

/** Starts the stand-in: opens and migrates its store, then listens on PAYMENT_PROVIDER_PORT (0 picks a free port). */
export async function startPaymentProvider(config: Config, log: Logger): Promise<PaymentProvider> {
  const resources = new ResourceStack(log);
  try {
    const db = await openDatabase({ component: 'payment-provider', databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    resources.push('database', () => db.close());
    await migrate(db, PAYMENTS_SCHEMA, paymentsMigrations);

    const app = createApp(createPaymentsStore(db), new FaultInjector(), log);
    const inFlight = new Set<ServerResponse>();
    let stopping = false;
    const server = createServer((req, res) => {
      // Answers sent while stopping close their connection, so keep-alive clients cannot hold the server open.
      if (stopping) res.setHeader('Connection', 'close');
      inFlight.add(res);
      res.on('close', () => inFlight.delete(res));
      app(req, res);
    });
    server.listen(config.PAYMENT_PROVIDER_PORT, config.HOST);
    // once() rejects if 'error' comes first (port taken), which fails the start.
    await once(server, 'listening');
    resources.push('http server', () => closeServer(server, inFlight, () => (stopping = true)));

    const url = serverUrl(server, config.HOST);
    log.info({ url, store: db.kind }, 'payment provider listening');
    return { url, stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}

/** Stops accepting connections and lets in-flight requests finish (up to a grace period) before resolving. */
async function closeServer(server: Server, inFlight: Set<ServerResponse>, markStopping: () => void): Promise<void> {
  markStopping();
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
  try {
    await closed;
  } finally {
    clearTimeout(deadline);
  }
}
