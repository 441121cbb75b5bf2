// The order-outcome bridge's small HTTP surface: health, and its journal for the order timeline.
import express from 'express';
import { errorMiddleware, unknownRoute } from '../../platform/http/error-middleware.js';
import { tracingMiddleware } from '../../platform/http/tracing.js';
import type { Logger } from '../../platform/logger.js';
import type { Journal } from '../../platform/observability/journal.js';
import { journalRouter } from '../../platform/observability/journal-route.js';
import { httpMetrics } from '../../platform/http/metrics-middleware.js';

export function createOrderOutcomeApp(options: { log: Logger; journal: Journal }) {
  const app = express();
  app.disable('x-powered-by');
  app.use(tracingMiddleware('order-outcome'));
  app.use(httpMetrics('order-outcome'));
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(journalRouter(options.journal));
  app.use(unknownRoute);
  app.use(errorMiddleware(options.log));
  return app;
}
