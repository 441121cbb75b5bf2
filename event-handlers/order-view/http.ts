// The order view's HTTP surface (service token): one order, a filtered and cursor-paged list, the rebuild, probes and its journal.
import express from 'express';
import { z } from 'zod';
import { errorMiddleware, unknownRoute } from '../../platform/http/error-middleware.js';
import { HttpError, NotFoundError, ServiceUnavailableError, ValidationFailedError } from '../../platform/http/errors.js';
import { httpMetrics } from '../../platform/http/metrics-middleware.js';
import { requireServiceToken } from '../../platform/http/service-auth.js';
import { tracingMiddleware } from '../../platform/http/tracing.js';
import { parseRequest } from '../../platform/http/validation.js';
import type { Logger } from '../../platform/logger.js';
import type { Journal } from '../../platform/observability/journal.js';
import { journalRouter } from '../../platform/observability/journal-route.js';
import type { Database } from '../../platform/store/database.js';
import { OrderStatus } from '../../workflows/contract.js';
import { RebuildInProgressError, type RebuildResult } from './rebuild.js';
import { createOrderViewStore } from './store.js';
import { isInventorySlow, type OrderRow } from './story.js';

const statuses = Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]];

const listQuery = z.strictObject({
  customerId: z.string().min(1).max(100).optional(),
  status: z.enum(statuses).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(1000).optional(),
});

const position = z.strictObject({ createdAt: z.iso.datetime(), orderId: z.string().min(1) });

/** The list's cursor: where the previous page ended (newest first by creation, then order id). */
const encodePosition = (row: OrderRow) => Buffer.from(JSON.stringify({ createdAt: row.createdAt, orderId: row.orderId })).toString('base64url');
function decodePosition(cursor: string) {
  try {
    return position.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new ValidationFailedError([{ path: 'cursor', message: 'cursor is not valid' }], 'request query');
  }
}

class RebuildConflictError extends HttpError {
  override readonly name = 'RebuildConflictError';
  constructor(message: string) {
    super(409, 'REBUILD_IN_PROGRESS', message);
  }
}

export interface OrderViewAppOptions {
  db: Database;
  log: Logger;
  journal: Journal;
  serviceToken: string;
  /** INVENTORY_SLOW_AFTER as the orders were started with it: the watchdog's flag is computed when read. */
  inventorySlowAfterMs: number;
  isBrokerConnected: () => boolean;
  rebuild: () => Promise<RebuildResult>;
}

export function createOrderViewApp(options: OrderViewAppOptions) {
  const { db, log } = options;
  const store = createOrderViewStore(db);
  /** The row as answered: the watchdog's flag added, the view's own bookkeeping (when inventory answered) left out. */
  const answer = (row: OrderRow) => {
    const { answeredAt: _answeredAt, ...inventory } = row.inventory;
    return { ...row, inventory: { ...inventory, ...(isInventorySlow(row, options.inventorySlowAfterMs, new Date()) ? { slow: true } : {}) } };
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(tracingMiddleware('order-view'));
  app.use(httpMetrics('order-view'));
  // Orders name their customers: the API reads them for callers it has authorised, nobody reads them directly.
  app.use(requireServiceToken(options.serviceToken));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/ready', async (_req, res) => {
    const problems: string[] = [];
    await db.query('SELECT 1').catch(() => problems.push('store'));
    if (!options.isBrokerConnected()) problems.push('RabbitMQ');
    if (problems.length > 0) throw new ServiceUnavailableError(`not ready: ${problems.join(', ')} not reachable`);
    res.json({ status: 'ready' });
  });

  app.get('/orders/:orderId', async (req, res) => {
    const row = await store.getOrder(req.params.orderId);
    if (!row) throw new NotFoundError(`Order ${req.params.orderId} is not in the view`);
    res.json(answer(row));
  });

  app.get('/orders', async (req, res) => {
    const query = parseRequest(listQuery, req.query, 'query');
    const page = await store.listOrders({
      ...(query.customerId === undefined ? {} : { customerId: query.customerId }),
      ...(query.status === undefined ? {} : { status: query.status }),
      limit: query.limit,
      ...(query.cursor === undefined ? {} : { after: decodePosition(query.cursor) }),
    });
    const last = page.rows.at(-1);
    res.json({ orders: page.rows.map(answer), nextCursor: page.more && last ? encodePosition(last) : null });
  });

  // `npm run view:rebuild` calls this: the rebuild runs where the store is (an embedded store has no other way in).
  app.post('/rebuild', async (_req, res) => {
    try {
      res.json(await options.rebuild());
    } catch (error) {
      if (error instanceof RebuildInProgressError) throw new RebuildConflictError(error.message);
      throw error;
    }
  });

  app.use(journalRouter(options.journal));
  app.use(unknownRoute);
  app.use(errorMiddleware(log));
  return app;
}
