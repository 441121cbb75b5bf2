// Shipping's HTTP surface: each order's shipment as shipping knows it (never its address), its journal for the timeline, health and metrics.
import express from 'express';
import { z } from 'zod';
import { errorMiddleware, unknownRoute } from '../../platform/http/error-middleware.js';
import { NotFoundError } from '../../platform/http/errors.js';
import { httpMetrics } from '../../platform/http/metrics-middleware.js';
import { requireServiceToken } from '../../platform/http/service-auth.js';
import { tracingMiddleware } from '../../platform/http/tracing.js';
import { parseRequest } from '../../platform/http/validation.js';
import type { Logger } from '../../platform/logger.js';
import { journalRouter } from '../../platform/observability/journal-route.js';
import type { Journal } from '../../platform/observability/journal.js';
import type { Database } from '../../platform/store/database.js';
import { createShippingStore, type ShipmentRow } from './store.js';

const shipmentQuery = z.strictObject({ orderId: z.string().min(1).max(200) });

const toIso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

const shipmentView = (row: ShipmentRow) => ({
  orderId: row.order_id,
  status: row.status,
  carrier: row.carrier,
  shipmentId: row.carrier_shipment_id,
  trackingNumber: row.tracking_number,
  trackingUrl: row.tracking_url,
  failure: row.failure_reason === null ? null : { reason: row.failure_reason, message: row.failure_message },
  bookingAttempts: row.attempts,
  lastError: row.last_error,
  createdAt: toIso(row.created_at),
  dispatchedAt: toIso(row.dispatched_at),
  deliveredAt: toIso(row.delivered_at),
});

export function createShippingApp(options: { db: Database; log: Logger; journal: Journal; serviceToken: string }) {
  const { db, log } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use(tracingMiddleware('shipping'));
  app.use(httpMetrics('shipping'));
  // The platform's components and operators only: a shipment says where an order is going.
  app.use(requireServiceToken(options.serviceToken));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/shipments', async (req, res) => {
    const { orderId } = parseRequest(shipmentQuery, req.query, 'query');
    const shipment = await createShippingStore(db).findShipment(orderId);
    if (!shipment) throw new NotFoundError(`no shipment for order ${orderId}`);
    res.json(shipmentView(shipment));
  });

  // What this component did for an order, for the order timeline.
  app.use(journalRouter(options.journal));

  app.use(unknownRoute);
  app.use(errorMiddleware(log));
  return app;
}
