// Inventory's HTTP surface: the owner's catalog writes (upsert with its product-updated event), reads for operators and checks, and its work as calls.
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { errorMiddleware, unknownRoute } from '../../platform/http/error-middleware.js';
import { tracingMiddleware } from '../../platform/http/tracing.js';
import { NotFoundError } from '../../platform/http/errors.js';
import { parseRequest } from '../../platform/http/validation.js';
import type { Logger } from '../../platform/logger.js';
import { addToOutbox } from '../../platform/messaging/inbox-outbox.js';
import type { Database } from '../../platform/store/database.js';
import { inventoryCallsRouter } from './calls.js';
import { productUpdatedEvent } from './handlers.js';
import { INVENTORY_SCHEMA, catalogFacts, createInventoryStore, type ProductRow } from './store.js';
import type { Journal } from '../../platform/observability/journal.js';
import { journalRouter } from '../../platform/observability/journal-route.js';
import { httpMetrics } from '../../platform/http/metrics-middleware.js';
import { requireServiceToken } from '../../platform/http/service-auth.js';

const INT4_MAX = 2_147_483_647;
const BODY_LIMIT = '100kb';

const skuParams = z.object({ sku: z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-"') });

const productBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  price: z.number().int().min(0).max(INT4_MAX),
  available: z.number().int().min(0).max(INT4_MAX),
  active: z.boolean().optional(),
});

const reservationsQuery = z.object({ orderId: z.string().min(1).max(200) });

/** The owner's view adds the stock behind availability. */
const ownerProduct = (product: ProductRow) => ({
  ...catalogFacts(product),
  onHand: product.on_hand,
  reserved: product.reserved,
  updatedAt: new Date(product.updated_at).toISOString(),
});

export function createInventoryApp(options: { db: Database; log: Logger; journal: Journal; afterCommit: () => void; serviceToken: string }) {
  const { db, log, afterCommit } = options;
  const store = createInventoryStore(db);
  const app = express();
  app.disable('x-powered-by');
  app.use(tracingMiddleware('inventory'));
  app.use(httpMetrics('inventory'));
  // Catalog writes and stock are the owner's: only the platform's components (the API, operators) may ask.
  app.use(requireServiceToken(options.serviceToken));
  app.use(express.json({ limit: BODY_LIMIT }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/products', async (_req, res) => {
    res.json({ products: (await store.listProducts()).map(ownerProduct) });
  });

  app.get('/products/:sku', async (req: Request<{ sku: string }>, res) => {
    const product = await store.findProduct(req.params.sku);
    if (!product) throw new NotFoundError(`no product with sku "${req.params.sku}"`);
    res.json(ownerProduct(product));
  });

  app.put('/products/:sku', async (req: Request<{ sku: string }>, res: Response) => {
    const { sku } = parseRequest(skuParams, req.params, 'path');
    const input = parseRequest(productBody, req.body, 'body');
    const correlationId = req.get('x-correlation-id') ?? randomUUID();
    const product = await db.transaction(async (tx) => {
      const written = await createInventoryStore(tx).upsertProduct(sku, input);
      await addToOutbox(tx, INVENTORY_SCHEMA, productUpdatedEvent(written, { correlationId, causationId: correlationId }));
      return written;
    });
    afterCommit();
    log.info({ sku, revision: product.revision }, 'product written');
    res.json(catalogFacts(product));
  });

  app.get('/reservations', async (req, res) => {
    const { orderId } = parseRequest(reservationsQuery, req.query, 'query');
    const [reservations, outcome] = await Promise.all([store.findReservations(orderId), store.findOrderOutcome(orderId)]);
    res.json({
      orderId,
      outcome: outcome?.outcome ?? null,
      reservations: reservations.map(({ sku, quantity, status }) => ({ sku, quantity, status })),
    });
  });

  // Reserve and commit as calls, for the pure-orchestration flow (workflows/orchestrated-order-workflow.ts).
  app.use(inventoryCallsRouter({ db, log, afterCommit }));

  // What this component did for an order, for the order timeline.
  app.use(journalRouter(options.journal));

  app.use(unknownRoute);
  app.use(errorMiddleware(log, { bodyLimit: BODY_LIMIT }));
  return app;
}
