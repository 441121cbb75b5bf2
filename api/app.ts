// The HTTP edge as a pure express app factory: it assembles each concern's router and OpenAPI paths with the shared middleware.
import express from 'express';
import type { Client } from '@temporalio/client';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { DeadLetters } from '../platform/messaging/dead-letters.js';
import { errorMiddleware, unknownRoute } from '../platform/http/error-middleware.js';
import { tracingMiddleware } from '../platform/http/tracing.js';
import { registerDeadLetterPaths } from './admin/openapi.js';
import { createDeadLetterRouter } from './admin/dead-letter-routes.js';
import { registerCatalogPaths } from './catalog/openapi.js';
import { createCatalogRouter, type CatalogRouterOptions } from './catalog/routes.js';
import { buildOpenApiDocument, registerOpenApiPath } from './http/openapi.js';
import { createHealthRouter, registerHealthPaths, type ReadinessProbe } from './http/readiness.js';
import { methodNotAllowed } from './http/method-not-allowed.js';
import { rateLimitPerClient } from './http/rate-limit.js';
import { JSON_MEDIA_TYPES, refuseHostilePath, refuseHostileValues, requireJsonBody } from './http/request-guards.js';
import { requestLogger } from './http/request-logger.js';
import { securityHeaders } from './http/security-headers.js';
import { createUpstreamCaller } from './http/upstream.js';
import { registerNotificationPaths } from './notifications/openapi.js';
import { createNotificationsRouter } from './notifications/routes.js';
import type { IdempotencyStore } from './orders/idempotency-store.js';
import { registerOrderPaths } from './orders/openapi.js';
import { createOrdersRouter } from './orders/routes.js';
import { createOrderGateway, defaultOrderCallTimeouts, type OrderCallTimeouts } from './orders/temporal-gateway.js';
import { createTimelineReader } from './orders/timeline/gather.js';
import { orderTaskQueue } from '../workflows/contract.js';
import { httpMetrics } from '../platform/http/metrics-middleware.js';

export interface ApiLimits {
  /** Largest accepted request body. @default '100kb' */
  bodyLimit: string;
  /** Calls to inventory and notifications. @default 5s */
  upstreamTimeoutMs: number;
  /** Each readiness check. @default 2s */
  readinessTimeoutMs: number;
  orderCalls: OrderCallTimeouts;
}

export const defaultApiLimits: ApiLimits = {
  bodyLimit: '100kb',
  upstreamTimeoutMs: 5_000,
  readinessTimeoutMs: 2_000,
  orderCalls: defaultOrderCallTimeouts,
};

export interface ApiDependencies {
  config: Pick<
    Config,
    | 'TEMPORAL_TASK_QUEUE'
    | 'TEMPORAL_UI_URL'
    | 'INVENTORY_URL'
    | 'NOTIFICATIONS_URL'
    | 'ORDER_OUTCOME_URL'
    | 'PUBLIC_URL'
    | 'INVENTORY_TIMEOUT'
    | 'INVENTORY_SLOW_AFTER'
    | 'TRUST_PROXY'
    | 'RATE_LIMIT_PER_MINUTE'
  >;
  log: Logger;
  temporal: Client;
  idempotency: IdempotencyStore;
  /** The api's own catalog replica; product reads never call inventory. */
  catalog: CatalogRouterOptions['catalog'];
  readiness: ReadinessProbe[];
  /** Operators' dead-letter tooling behind /admin/dead-letters. */
  deadLetters: DeadLetters;
  limits?: Partial<ApiLimits>;
}

export function createApp(deps: ApiDependencies): express.Express {
  const { config, log } = deps;
  const limits = { ...defaultApiLimits, ...deps.limits };
  const callUpstream = createUpstreamCaller(log, limits.upstreamTimeoutMs);

  const app = express();
  app.disable('x-powered-by');
  // req.ip (the rate limit's key before authentication) is the client's only when the proxies in front are the trusted ones.
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(tracingMiddleware('api'));
  app.use(httpMetrics('api'));
  app.use(requestLogger(log));
  app.use(securityHeaders());
  // Authentication goes here, before the rate limit, so that a token's subject (not the address) is the client it counts.
  app.use(rateLimitPerClient(config.RATE_LIMIT_PER_MINUTE, log));
  app.use(refuseHostilePath);
  app.use(requireJsonBody);
  app.use(express.json({ limit: limits.bodyLimit, type: JSON_MEDIA_TYPES }));
  app.use(refuseHostileValues);

  app.use(
    createOrdersRouter({
      orders: createOrderGateway(deps.temporal, orderTaskQueue(config), limits.orderCalls),
      idempotency: deps.idempotency,
      inventoryTimeoutMs: config.INVENTORY_TIMEOUT,
      inventorySlowAfterMs: config.INVENTORY_SLOW_AFTER,
      publicUrl: config.PUBLIC_URL,
      temporalUiUrl: config.TEMPORAL_UI_URL,
      namespace: deps.temporal.options.namespace,
      readTimeline: createTimelineReader({
        temporal: deps.temporal,
        // The choreography's participants, each answering for its own part (inventory's journal includes its outbox).
        journals: [
          { source: 'inventory', url: config.INVENTORY_URL },
          { source: 'notifications', url: config.NOTIFICATIONS_URL },
          { source: 'order-outcome', url: config.ORDER_OUTCOME_URL },
        ],
        log,
        timeoutMs: limits.upstreamTimeoutMs,
      }),
    }),
  );
  app.use(createCatalogRouter({ catalog: deps.catalog, inventoryUrl: config.INVENTORY_URL, callUpstream }));
  app.use(createNotificationsRouter({ notificationsUrl: config.NOTIFICATIONS_URL, callUpstream }));
  app.use(createHealthRouter(deps.readiness, limits.readinessTimeoutMs, log));
  app.use('/admin/dead-letters', createDeadLetterRouter(deps.deadLetters));

  // The document lists the concerns in this same order.
  const openApiDocument = buildOpenApiDocument(
    [registerOrderPaths, registerCatalogPaths, registerNotificationPaths, registerHealthPaths, registerDeadLetterPaths, registerOpenApiPath],
    config.PUBLIC_URL,
  );
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  app.use(methodNotAllowed(openApiDocument.paths ?? {}));
  app.use(unknownRoute);
  app.use(errorMiddleware(log, { bodyLimit: limits.bodyLimit }));
  return app;
}
