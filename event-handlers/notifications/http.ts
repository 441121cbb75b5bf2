// Notifications' HTTP surface: what each order's customer was told, and when; and telling them as a call, for the pure-orchestration flow.
import express from 'express';
import { z } from 'zod';
import { errorMiddleware, unknownRoute } from '../../platform/http/error-middleware.js';
import { tracingMiddleware } from '../../platform/http/tracing.js';
import { parseRequest } from '../../platform/http/validation.js';
import type { Logger } from '../../platform/logger.js';
import type { Database } from '../../platform/store/database.js';
import { createNotificationsStore, type NotificationRow } from './store.js';
import type { Journal } from '../../platform/observability/journal.js';
import { journalRouter } from '../../platform/observability/journal-route.js';
import { httpMetrics } from '../../platform/http/metrics-middleware.js';
import { requireServiceToken } from '../../platform/http/service-auth.js';
import { ConflictError } from '../../platform/http/errors.js';
import { eventDataSchemas } from '../../platform/events/catalog.js';
import { NotReadyError } from '../../platform/messaging/errors.js';
import { notifyCustomer, type CustomerFacingEvent } from './handlers.js';

const notificationsQuery = z.object({ orderId: z.string({ error: 'the orderId query parameter is required' }).min(1).max(200) });

const BODY_LIMIT = '100kb';
const fact = <T extends CustomerFacingEvent>(type: T) => z.strictObject({ type: z.literal(type), data: eventDataSchemas[type] });
/** One customer-facing fact, its data checked by the event catalog's own schema. */
const notifyBody = z.discriminatedUnion('type', [
  fact('order.placed'),
  fact('order.confirmed'),
  fact('order.cancelled'),
  fact('order.payment-declined'),
  fact('shipment.dispatched'),
  fact('shipment.delivered'),
]);

const toIso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

const notificationView = (row: NotificationRow) => ({
  id: row.id,
  orderId: row.order_id,
  type: row.type,
  channel: row.channel,
  to: row.recipient,
  /** When the channel took it (sent, or written to the log); null while pending or after giving up. */
  sentAt: toIso(row.sent_at),
  delivery: row.delivery,
});

export function createNotificationsApp(options: { db: Database; log: Logger; journal: Journal; serviceToken: string; afterCommit: () => void }) {
  const { db, log } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use(tracingMiddleware('notifications'));
  app.use(httpMetrics('notifications'));
  // Customers' addresses are here: the API reads them for the order's owner, nobody reads them directly.
  app.use(requireServiceToken(options.serviceToken));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/notifications', async (req, res) => {
    const query = parseRequest(notificationsQuery, req.query, 'query');
    res.json({ notifications: (await createNotificationsStore(db).listNotifications(query.orderId)).map(notificationView) });
  });

  /**
   * The same notification an event would cause, asked for by a call (workflows/orchestrated-order-workflow.ts). Once per
   * order and type, as by event: a retried call stores nothing new and answers 200 instead of 201.
   */
  app.post('/notifications', express.json({ limit: BODY_LIMIT }), async (req, res) => {
    const { type, data } = parseRequest(notifyBody, req.body, 'body');
    let stored: boolean;
    try {
      stored = await db.transaction((tx) => notifyCustomer(tx, type, data, log));
    } catch (error) {
      // Only order.placed brings the contact; a caller that orders its steps itself asks for that one first.
      if (error instanceof NotReadyError) throw new ConflictError(error.message);
      throw error;
    }
    options.afterCommit();
    res.status(stored ? 201 : 200).json({ orderId: data.orderId, type, stored });
  });

  // What this component did for an order, for the order timeline.
  app.use(journalRouter(options.journal));

  app.use(unknownRoute);
  app.use(errorMiddleware(log));
  return app;
}
