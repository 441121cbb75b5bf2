// Every HTTP server's metrics in one line: times each request by its route pattern and status, and serves GET /metrics.
import { Router, type Request, type RequestHandler } from 'express';
import { httpRequestDuration, metricsRoute } from '../observability/metrics.js';

/** The label for requests no route matched: one series, however many URLs are probed. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Mount first (`app.use(httpMetrics('api'))`), before the routes it times. */
export function httpMetrics(component: string): Router {
  const timeRequests: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    const route = rememberRoutePattern(req);
    res.once('finish', () => {
      httpRequestDuration.observe(
        { component, method: req.method, route: route(), status: String(res.statusCode) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  };
  // Scrapes are timed too, under route /metrics.
  return Router().use(timeRequests).use(metricsRoute());
}

/**
 * The pattern of the route that handled the request, e.g. `/admin/dead-letters/:queue/replay`. Express sets
 * `req.route` when a route matches, but restores `req.baseUrl` once a mounted router passes an error on, so the
 * mount path is taken at the moment the route is set.
 */
function rememberRoutePattern(req: Request): () => string {
  let matched: { path: unknown } | undefined;
  let pattern: string | undefined;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => matched,
    set(route: { path: unknown } | undefined) {
      matched = route;
      if (route) pattern = `${req.baseUrl}${String(route.path)}`;
    },
  });
  return () => pattern ?? UNMATCHED_ROUTE;
}
