// The worker's HTTP surface, for operators and Prometheus only: /health and /metrics (ours plus the Temporal core's).
import express from 'express';
import { errorMiddleware, unknownRoute } from '../platform/http/error-middleware.js';
import { httpMetrics } from '../platform/http/metrics-middleware.js';
import type { Logger } from '../platform/logger.js';

export function createWorkerApp(options: { log: Logger }) {
  const app = express();
  app.disable('x-powered-by');
  app.use(httpMetrics('worker'));
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(unknownRoute);
  app.use(errorMiddleware(options.log));
  return app;
}
