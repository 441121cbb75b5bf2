// The worker's HTTP surface, for operators and Prometheus only: /health and /metrics (ours plus the Temporal core's).
import express from 'express';
import { errorMiddleware, unknownRoute } from '../platform/http/error-middleware.js';
import { httpMetrics } from '../platform/http/metrics-middleware.js';
import type { Logger } from '../platform/logger.js';

export interface WorkerAppOptions {
  log: Logger;
  /** The SDK worker's state (Worker.getState()); undefined until it is created. */
  workerState: () => string | undefined;
}

export function createWorkerApp(options: WorkerAppOptions) {
  const app = express();
  app.disable('x-powered-by');
  app.use(httpMetrics('worker'));
  // Healthy once it polls: the HTTP server listens first (for /metrics during start-up), so answering alone says little.
  app.get('/health', (_req, res) => {
    const state = options.workerState();
    if (state === 'RUNNING') res.json({ status: 'ok' });
    else res.status(503).json({ status: state === undefined || state === 'INITIALIZED' ? 'starting' : state.toLowerCase() });
  });
  app.use(unknownRoute);
  app.use(errorMiddleware(options.log));
  return app;
}
