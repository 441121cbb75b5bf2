// The HTTP edge as a pure express app factory: it assembles each concern's router and OpenAPI paths with the shared middleware.
import express, { type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { DeadLetters } from '../platform/messaging/dead-letters.js';
import { errorMiddleware, unknownRoute } from '../platform/http/error-middleware.js';
import { AesGcmPayloadCodec } from '../platform/temporal/payload-codec.js';
import { createConsoleRouter } from './console/routes.js';
import { registerCodecPaths } from './codec/openapi.js';
import { CODEC_SESSION_PATH, createCodecRouter } from './codec/routes.js';
import { tracingMiddleware } from '../platform/http/tracing.js';
import { registerDeadLetterPaths } from './admin/openapi.js';
import { createDeadLetterRouter } from './admin/dead-letter-routes.js';
import { registerCatalogPaths } from './catalog/openapi.js';
import { createCatalogRouter, type CatalogRouterOptions } from './catalog/routes.js';
import { authenticate, requireRole, type VerifyToken } from './http/auth.js';
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
import { createOrderAccess } from './orders/access.js';
import { createOrderReads } from './orders/order-reads.js';
import { createOrderViewClient } from './orders/order-view-client.js';
import type { OrderWrites } from './orders/order-writes.js';
import { orderTaskQueue } from '../workflows/contract.js';
import { httpMetrics } from '../platform/http/metrics-middleware.js';
import type { PayloadKey } from '../platform/temporal/payload-codec.js';
import { createPaymentTokenSeal } from '../platform/temporal/payment-token-seal.js';

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
    | 'CODEC_CORS_ORIGIN'
    | 'INVENTORY_URL'
    | 'NOTIFICATIONS_URL'
    | 'ORDER_OUTCOME_URL'
    | 'ORDER_VIEW_URL'
    | 'ORDER_VIEW_READ_TIMEOUT'
    | 'SHIPPING_URL'
    | 'PUBLIC_URL'
    | 'INVENTORY_TIMEOUT'
    | 'INVENTORY_SLOW_AFTER'
    | 'TRUST_PROXY'
    | 'RATE_LIMIT_PER_MINUTE'
  >;
  log: Logger;
  temporal: Client;
  /** PAYLOAD_KEYS: they seal payment tokens before they reach Temporal, and back the codec endpoint. */
  payloadKeys: readonly PayloadKey[];
  idempotency: IdempotencyStore;
  /** The API's own writes to orders (order-writes.ts), in its store: reads show them before the order view has caught up. */
  orderWrites: OrderWrites;
  /** The api's own catalog replica; product reads never call inventory. */
  catalog: CatalogRouterOptions['catalog'];
  readiness: ReadinessProbe[];
  /** Operators' dead-letter tooling behind /admin/dead-letters. */
  deadLetters: DeadLetters;
  /** Checks bearer tokens (api/http/auth.ts createTokenVerifier). */
  verifyToken: VerifyToken;
  /** SERVICE_TOKEN, sent on every call to the owners' surfaces. */
  serviceToken: string;
  limits?: Partial<ApiLimits>;
}

/**
 * Admins only, judged on the Authorization header as the codec router leaves it: the router turns the Temporal UI's
 * session cookie into that header after the app-level authentication has run, so the token is verified here again.
 */
function adminByHeader(verifyToken: VerifyToken): RequestHandler {
  const verify = authenticate(verifyToken);
  const admin = requireRole('admin');
  return (req, res, next) => verify(req, res, (error?: unknown) => (error === undefined ? admin(req, res, next) : next(error)));
}

export function createApp(deps: ApiDependencies): express.Express {
  const { config, log } = deps;
  const limits = { ...defaultApiLimits, ...deps.limits };
  const callUpstream = createUpstreamCaller(log, limits.upstreamTimeoutMs, deps.serviceToken);

  const app = express();
  app.disable('x-powered-by');
  // req.ip (the rate limit's key before authentication) is the client's only when the proxies in front are the trusted ones.
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(tracingMiddleware('api'));
  app.use(httpMetrics('api'));
  app.use(requestLogger(log));
  app.use(securityHeaders());
  // Before the rate limit, so that a token's subject (not the address) is the client it counts; each route's guard reads it too.
  app.use(authenticate(deps.verifyToken));
  app.use(rateLimitPerClient(config.RATE_LIMIT_PER_MINUTE, log));
  app.use(refuseHostilePath);
  app.use(requireJsonBody([CODEC_SESSION_PATH]));
  app.use(express.json({ limit: limits.bodyLimit, type: JSON_MEDIA_TYPES }));
  app.use(refuseHostileValues);

  const orders = createOrderGateway(deps.temporal, orderTaskQueue(config), limits.orderCalls);
  const reads = createOrderReads({
    view: createOrderViewClient({ url: config.ORDER_VIEW_URL, serviceToken: deps.serviceToken, timeoutMs: config.ORDER_VIEW_READ_TIMEOUT, log }),
    writes: deps.orderWrites,
    temporal: orders,
    log,
  });
  app.use(
    createOrdersRouter({
      orders,
      reads,
      writes: deps.orderWrites,
      idempotency: deps.idempotency,
      inventoryTimeoutMs: config.INVENTORY_TIMEOUT,
      inventorySlowAfterMs: config.INVENTORY_SLOW_AFTER,
      publicUrl: config.PUBLIC_URL,
      temporalUiUrl: config.TEMPORAL_UI_URL,
      namespace: deps.temporal.options.namespace,
      sealPaymentToken: createPaymentTokenSeal(deps.payloadKeys).seal,
      readTimeline: createTimelineReader({
        temporal: deps.temporal,
        // The choreography's participants, each answering for its own part (inventory's journal includes its outbox).
        journals: [
          { source: 'inventory', url: config.INVENTORY_URL },
          { source: 'notifications', url: config.NOTIFICATIONS_URL },
          { source: 'order-outcome', url: config.ORDER_OUTCOME_URL },
          { source: 'shipping', url: config.SHIPPING_URL },
        ],
        log,
        serviceToken: deps.serviceToken,
        timeoutMs: limits.upstreamTimeoutMs,
      }),
    }),
  );
  app.use(createCatalogRouter({ catalog: deps.catalog, inventoryUrl: config.INVENTORY_URL, callUpstream }));
  app.use(createNotificationsRouter({ notificationsUrl: config.NOTIFICATIONS_URL, callUpstream, readVisibleOrder: createOrderAccess((orderId) => reads.readOrder(orderId)) }));
  app.use(createHealthRouter(deps.readiness, limits.readinessTimeoutMs, log));
  // Everything under /admin is operators' only, whatever is added there later.
  app.use('/admin', requireRole('admin'));
  app.use('/admin/dead-letters', createDeadLetterRouter(deps.deadLetters));
  app.use(
    createCodecRouter({
      codec: new AesGcmPayloadCodec(deps.payloadKeys),
      // The Temporal UI is the only browser client; its origin unless CODEC_CORS_ORIGIN names another.
      allowedOrigin: new URL(config.CODEC_CORS_ORIGIN ?? config.TEMPORAL_UI_URL).origin,
      authorize: adminByHeader(deps.verifyToken),
    }),
  );

  // The web console: a page and its files, not part of the JSON API, so the OpenAPI document leaves it out and other methods on it are 404s.
  app.use(createConsoleRouter());

  // The document lists the concerns in this same order.
  const openApiDocument = buildOpenApiDocument(
    [registerOrderPaths, registerCatalogPaths, registerNotificationPaths, registerHealthPaths, registerDeadLetterPaths, registerCodecPaths, registerOpenApiPath],
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
