// Inventory's HTTP surface: the owner's catalog writes (upsert with its product-updated event) and reads for operators and checks.
import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../../platform/logger.js';
import { addToOutbox } from '../../platform/messaging/inbox-outbox.js';
import type { Database } from '../../platform/store/database.js';
import { productUpdatedEvent } from './handlers.js';
import {
  INVENTORY_SCHEMA,
  availableOf,
  findOrderOutcome,
  findProduct,
  findReservations,
  listProducts,
  upsertProduct,
  type ProductRow,
} from './store.js';

const INT4_MAX = 2_147_483_647;

const skuParam = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-"');

const productBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  price: z.number().int().min(0).max(INT4_MAX),
  available: z.number().int().min(0).max(INT4_MAX),
  active: z.boolean().optional(),
});

const reservationsQuery = z.object({ orderId: z.string().min(1).max(200) });

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** zod issues as the contract's details: one entry per field, unknown fields named one by one. */
function validationFailed(error: z.ZodError, prefix: string[] = []): HttpError {
  const details = error.issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'unknown field' }));
    return [{ path: path.join('.'), message: issue.message }];
  });
  return new HttpError(400, 'VALIDATION_FAILED', 'the request is not valid', details);
}

function parse<T>(schema: z.ZodType<T>, value: unknown, prefix: string[]): T {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(result.error, prefix);
  return result.data;
}

/** The public catalog fields, as the replica and the public API present them. */
const publicProduct = (product: ProductRow) => ({
  sku: product.sku,
  name: product.name,
  price: product.price,
  currency: product.currency,
  available: Math.max(0, availableOf(product)),
  active: product.active,
  revision: product.revision,
});

/** The owner's view adds the stock behind availability. */
const ownerProduct = (product: ProductRow) => ({
  ...publicProduct(product),
  onHand: product.on_hand,
  reserved: product.reserved,
  updatedAt: new Date(product.updated_at).toISOString(),
});

export function createInventoryApp(options: { db: Database; log: Logger; afterCommit: () => void }) {
  const { db, log, afterCommit } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/products', async (_req, res) => {
    res.json({ products: (await listProducts(db)).map(ownerProduct) });
  });

  app.get('/products/:sku', async (req: Request<{ sku: string }>, res) => {
    const product = await findProduct(db, req.params.sku);
    if (!product) throw new HttpError(404, 'NOT_FOUND', `no product with sku "${req.params.sku}"`);
    res.json(ownerProduct(product));
  });

  app.put('/products/:sku', async (req: Request<{ sku: string }>, res: Response) => {
    const sku = parse(skuParam, req.params.sku, ['sku']);
    const input = parse(productBody, req.body, []);
    const correlationId = req.get('x-correlation-id') ?? randomUUID();
    const product = await db.transaction(async (tx) => {
      const written = await upsertProduct(tx, sku, input);
      await addToOutbox(tx, INVENTORY_SCHEMA, productUpdatedEvent(written, { correlationId, causationId: correlationId }));
      return written;
    });
    afterCommit();
    log.info({ sku, revision: product.revision }, 'product written');
    res.json(publicProduct(product));
  });

  app.get('/reservations', async (req, res) => {
    const { orderId } = parse(reservationsQuery, req.query, []);
    const [reservations, outcome] = await Promise.all([findReservations(db, orderId), findOrderOutcome(db, orderId)]);
    res.json({
      orderId,
      outcome: outcome?.outcome ?? null,
      reservations: reservations.map(({ sku, quantity, status }) => ({ sku, quantity, status })),
    });
  });

  app.use((req, _res, next) => next(new HttpError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`)));

  const errors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    if (error instanceof HttpError) {
      res.status(error.status).json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } });
      return;
    }
    // body-parser marks malformed bodies with a 4xx status; they are the client's mistake, not ours.
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: { code: 'VALIDATION_FAILED', message: (error as Error).message } });
      return;
    }
    log.error({ err: error }, 'request failed');
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  };
  app.use(errors);
  return app;
}
