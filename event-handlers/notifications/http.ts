// Notifications' HTTP read surface: what each order's customer was told, and when.
import express, { type ErrorRequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '../../platform/logger.js';
import type { Database } from '../../platform/store/database.js';
import { listNotifications, type NotificationRow } from './store.js';

const notificationsQuery = z.object({ orderId: z.string().min(1).max(200) });

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

export function createNotificationsApp(options: { db: Database; log: Logger }) {
  const { db, log } = options;
  const app = express();
  app.disable('x-powered-by');

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/notifications', async (req, res) => {
    const query = notificationsQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json({
        error: {
          code: 'VALIDATION_FAILED',
          message: 'the orderId query parameter is required',
          details: query.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
        },
      });
      return;
    }
    res.json({ notifications: (await listNotifications(db, query.data.orderId)).map(notificationView) });
  });

  app.use((req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.path}` } });
  });

  const errors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    log.error({ err: error }, 'request failed');
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  };
  app.use(errors);
  return app;
}
