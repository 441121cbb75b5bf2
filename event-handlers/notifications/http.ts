// Notifications' HTTP read surface: what each order's customer was told, and when.
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

const notificationsQuery = z.object({ orderId: z.string({ error: 'the orderId query parameter is required' }).min(1).max(200) });

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

export function createNotificationsApp(options: { db: Database; log: Logger; journal: Journal; serviceToken: string }) {
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

  // What this component did for an order, for the order timeline.
  app.use(journalRouter(options.journal));

  app.use(unknownRoute);
  app.use(errorMiddleware(log));
  return app;
}
