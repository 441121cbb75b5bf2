// The order-outcome bridge's small HTTP surface: health, and its journal for the order timeline.
import express from 'express';
import { errorMiddleware, unknownRoute } from '../../platform/http/error-middleware.js';
import { tracingMiddleware } from '../../platform/http/tracing.js';
import type { Logger } from '../../platform/logger.js';
import type { Journal } from '../../platform/observability/journal.js';
import { journalRouter } from '../../platform/observability/journal-route.js';
import { httpMetrics } from '../../platform/http/metrics-middleware.js';
import { requireServiceToken } from '../../platform/http/service-auth.js';

export function createOrderOutcomeApp(options: { log: Logger; journal: Journal; serviceToken: string }) {
  const app = express();
  app.disable('x-powered-by');
  app.use(tracingMiddleware('order-outcome'));
  app.use(httpMetrics('order-outcome'));
  // Its journal names orders and events: for the API's timeline, not for the public.
  app.use(requireServiceToken(options.serviceToken));
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(journalRouter(options.journal));
  app.use(unknownRoute);
  app.use(errorMiddleware(options.log));
  return app;
}
