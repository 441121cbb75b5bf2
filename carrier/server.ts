// The carrier stand-in: an HTTP service with a parcel carrier's semantics (book a shipment with an Idempotency-Key, track it, test addresses).
import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { errorMiddleware, unknownRoute } from '../platform/http/error-middleware.js';
import { tracingMiddleware } from '../platform/http/tracing.js';
import { HttpError, MalformedJsonError, NotFoundError, ValidationFailedError } from '../platform/http/errors.js';
import { listen } from '../platform/http/listen.js';
import { parseRequest } from '../platform/http/validation.js';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { ResourceStack } from '../platform/lifecycle.js';
import { openDatabase } from '../platform/store/database.js';
import { migrate } from '../platform/store/migrations.js';
import { httpMetrics } from '../platform/http/metrics-middleware.js';
import { requireServiceToken, serviceTokenOf } from '../platform/http/service-auth.js';
import { CARRIER_SCHEMA, SLOW_ANSWER_MS, carrierMigrations, createCarrierStore, testPostalCodes, type CarrierStore } from './store.js';

export interface Carrier {
  /** Base URL the service listens on, e.g. `http://127.0.0.1:3700`. */
  readonly url: string;
  stop(): Promise<void>;
}

/** How long stop() lets in-flight requests finish (a slow booking among them) before cutting their connections. */
const STOP_GRACE_MS = 10_000;
const BODY_LIMIT = '16kb';

const text = (max: number) => z.string().trim().min(1).max(max);
const shipmentRequestSchema = z.strictObject({
  orderId: text(200),
  address: z.strictObject({
    name: text(200),
    line1: text(200),
    line2: text(200).optional(),
    city: text(100),
    postalCode: text(20),
    country: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code'),
  }),
  lines: z.array(z.strictObject({ sku: text(64), quantity: z.number().int().positive().max(10_000) })).min(1).max(100),
});

const idempotencyKeySchema = z.string().trim().min(1).max(255);

/** The carrier speaks snake_case like the payment stand-in; the shared errors keep their meaning under its spelling. */
const carrierSpelling: Record<string, string> = { INTERNAL: 'internal_error', PAYLOAD_TOO_LARGE: 'entity_too_large' };
const carrierCode = (error: HttpError) => (error instanceof MalformedJsonError ? 'invalid_json' : (carrierSpelling[error.code] ?? error.code.toLowerCase()));

function requiredIdempotencyKey(req: Request): string {
  const key = req.get('Idempotency-Key');
  if (key === undefined || key.trim() === '') {
    throw new HttpError(400, 'idempotency_key_required', 'the Idempotency-Key header is required', [{ path: 'Idempotency-Key', message: 'header is required' }]);
  }
  const parsed = idempotencyKeySchema.safeParse(key);
  if (!parsed.success) throw new ValidationFailedError(parsed.error.issues.map((issue) => ({ path: 'Idempotency-Key', message: issue.message })), 'request header');
  return parsed.data;
}

const fingerprint = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function createApp(store: CarrierStore, log: Logger, serviceToken: string) {
  const app = express();
  app.disable('x-powered-by');
  app.use(tracingMiddleware('carrier'));
  app.use(httpMetrics('carrier'));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // The link in the customer's "shipped" e-mail: public, as a carrier's tracking page is, and it shows no address.
  app.get('/track/:trackingNumber', async (req: Request<{ trackingNumber: string }>, res: Response) => {
    const shipment = await store.findByTrackingNumber(req.params.trackingNumber);
    if (!shipment) throw new NotFoundError(`no parcel with tracking number ${req.params.trackingNumber}`);
    res.json({ trackingNumber: shipment.trackingNumber, carrier: shipment.carrier, status: shipment.status, deliveredAt: shipment.deliveredAt });
  });

  // A real carrier authenticates its shipper; the stand-in takes the platform's service credential.
  app.use(requireServiceToken(serviceToken));
  app.use(express.json({ limit: BODY_LIMIT }));

  app.post('/shipments', async (req, res) => {
    const key = requiredIdempotencyKey(req);
    const request = parseRequest(shipmentRequestSchema, req.body, 'body');
    if (request.address.postalCode.toUpperCase() === testPostalCodes.slow) await pause(SLOW_ANSWER_MS);
    const answer = await store.book(key, fingerprint(request), request);
    log.info({ orderId: request.orderId, status: answer.status, idempotencyKey: key }, 'shipment booking requested');
    res.status(answer.status).json(answer.body);
  });

  app.get('/shipments/:id', async (req: Request<{ id: string }>, res) => {
    const shipment = await store.get(req.params.id);
    if (!shipment) throw new HttpError(404, 'not_found', `no shipment ${req.params.id}`);
    res.json(shipment);
  });

  // For operators and the fault suite's ledger: every shipment booked for an order (exactly one, if all went well).
  app.get('/shipments', async (req, res) => {
    const { orderId } = parseRequest(z.object({ orderId: text(200) }), req.query, 'query');
    res.json({ shipments: await store.findByOrder(orderId) });
  });

  app.use(unknownRoute);
  app.use(errorMiddleware(log, { bodyLimit: BODY_LIMIT, codeOf: carrierCode }));
  return app;
}

/** Starts the stand-in: opens and migrates its store, then listens on CARRIER_PORT (0 picks a free port). */
export async function startCarrier(config: Config, log: Logger): Promise<Carrier> {
  const serviceToken = serviceTokenOf(config, 'the carrier');
  const resources = new ResourceStack(log);
  try {
    const db = await openDatabase({ component: 'carrier', databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    resources.push('database', () => db.close());
    await migrate(db, CARRIER_SCHEMA, carrierMigrations);

    // Tracking links name the address the stand-in actually listens on (a port of 0 is only known after listening).
    let baseUrl = config.CARRIER_URL;
    const store = createCarrierStore(db, { deliveryDelayMs: config.CARRIER_DELIVERY_DELAY, trackingUrl: (number) => `${baseUrl.replace(/\/$/, '')}/track/${number}` });
    const { url, close } = await listen(createApp(store, log, serviceToken), { port: config.CARRIER_PORT, host: config.HOST, log, graceMs: STOP_GRACE_MS });
    if (config.CARRIER_PORT === 0) baseUrl = url;
    resources.push('http server', close);
    log.info({ url, store: db.kind, deliveryDelayMs: config.CARRIER_DELIVERY_DELAY }, 'carrier listening');
    return { url, stop: () => resources.stop() };
  } catch (error) {
    await resources.stop().catch(() => undefined);
    throw error;
  }
}
