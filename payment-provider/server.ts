// The payment provider stand-in: an HTTP service with a card processor's semantics (authorize, capture, void, refund, Idempotency-Key, test tokens).
import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { errorMiddleware, unknownRoute } from '../platform/http/error-middleware.js';
import { tracingMiddleware } from '../platform/http/tracing.js';
import { HttpError, MalformedJsonError, ValidationFailedError } from '../platform/http/errors.js';
import { listen } from '../platform/http/listen.js';
import { parseRequest } from '../platform/http/validation.js';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { ResourceStack } from '../platform/lifecycle.js';
import { openDatabase } from '../platform/store/database.js';
import { migrate } from '../platform/store/migrations.js';
import { FaultInjector, faultSettingsSchema } from './faults.js';
import { httpMetrics } from '../platform/http/metrics-middleware.js';
import { requireServiceToken, serviceTokenOf } from '../platform/http/service-auth.js';
import {
  createPaymentsStore,
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

const BODY_LIMIT = '16kb';

/** The processor speaks Stripe-like snake_case; the shared errors keep their meaning under its spelling. */
const processorSpelling: Record<string, string> = { INTERNAL: 'internal_error', PAYLOAD_TOO_LARGE: 'entity_too_large' };
const processorCode = (error: HttpError) =>
  error instanceof MalformedJsonError ? 'invalid_json' : (processorSpelling[error.code] ?? error.code.toLowerCase());

function requiredIdempotencyKey(req: Request): string {
  const key = req.get('Idempotency-Key');
  if (key === undefined || key.trim() === '') {
    throw new HttpError(400, 'idempotency_key_required', 'the Idempotency-Key header is required', [
      { path: 'Idempotency-Key', message: 'header is required' },
    ]);
  }
  return parseIdempotencyKey(key);
}

function parseIdempotencyKey(key: string): string {
  const result = idempotencyKeySchema.safeParse(key);
  if (!result.success) {
    throw new ValidationFailedError(result.error.issues.map((issue) => ({ path: 'Idempotency-Key', message: issue.message })), 'request header');
  }
  return result.data;
}

const fingerprint = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

const send = (res: Response, answer: ProviderResponse) => res.status(answer.status).json(answer.body);

function createApp(store: PaymentsStore, faults: FaultInjector, log: Logger, serviceToken: string) {
  const app = express();
  app.disable('x-powered-by');
  app.use(tracingMiddleware('payment-provider'));
  app.use(httpMetrics('payment-provider'));
  // A real processor authenticates its merchant; the stand-in takes the platform's service credential (also for /__faults).
  app.use(requireServiceToken(serviceToken));
  app.use(express.json({ limit: BODY_LIMIT }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/__faults', (_req, res) => {
    res.json(faults.current());
  });
  app.post('/__faults', (req, res) => {
    const state = faults.configure(parseRequest(faultSettingsSchema, req.body ?? {}, 'body'));
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
    const request = parseRequest(authorizationRequestSchema, req.body, 'body');
    const answer = await store.authorize(
      { scope: 'authorize', key: idempotencyKey, fingerprint: fingerprint([request.orderId, request.amount, request.currency, request.token]) },
      request,
    );
    log.info({ orderId: request.orderId, status: answer.status, idempotencyKey }, 'authorization requested');
    send(res, answer);
  });

  for (const operation of ['capture', 'void', 'refund'] as const satisfies readonly AuthorizationOperation[]) {
    api.post(`/authorizations/:id/${operation}`, async (req: Request<{ id: string }>, res) => {
      parseRequest(operationRequestSchema, req.body, 'body');
      const key = req.get('Idempotency-Key')?.trim();
      const authorizationId = req.params.id;
      const answer = await store.operate(
        authorizationId,
        operation,
        key ? { scope: `${operation}:${authorizationId}`, key: parseIdempotencyKey(key), fingerprint: fingerprint([]) } : undefined,
      );
      log.info({ authorizationId, operation, status: answer.status }, 'authorization operation');
      send(res, answer);
    });
  }

  api.get('/authorizations/:id', async (req: Request<{ id: string }>, res) => {
    const authorization = await store.get(req.params.id);
    if (!authorization) throw new HttpError(404, 'not_found', `no authorization ${req.params.id}`);
    res.json(authorization);
  });

  api.get('/authorizations', async (req, res) => {
    const { orderId } = parseRequest(z.object({ orderId: z.string().trim().min(1) }), req.query, 'query');
    res.json({ authorizations: await store.findByOrder(orderId) });
  });

  app.use('/v1', api);

  app.use(unknownRoute);
  app.use(errorMiddleware(log, { bodyLimit: BODY_LIMIT, codeOf: processorCode }));

  return app;
}

/** Starts the stand-in: opens and migrates its store, then listens on PAYMENT_PROVIDER_PORT (0 picks a free port). */
export async function startPaymentProvider(config: Config, log: Logger): Promise<PaymentProvider> {
  const serviceToken = serviceTokenOf(config, 'the payment provider');
  const resources = new ResourceStack(log);
  try {
    const db = await openDatabase({ component: 'payment-provider', databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    resources.push('database', () => db.close());
    await migrate(db, PAYMENTS_SCHEMA, paymentsMigrations);

    const app = createApp(createPaymentsStore(db), new FaultInjector(), log, serviceToken);
    const { url, close } = await listen(app, { port: config.PAYMENT_PROVIDER_PORT, host: config.HOST, log, graceMs: STOP_GRACE_MS });
    resources.push('http server', close);
    log.info({ url, store: db.kind }, 'payment provider listening');
    return { url, stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}
