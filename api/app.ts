// The HTTP edge as a pure express app factory: routes map one-to-one onto Temporal calls, the replica and owner services.
import { createHash, randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { orderWorkflowId, type OrderInput, type OrderState } from '../workflows/contract.js';
import type { ReplicaProduct } from '../catalog-replica/index.js';
import type { DeadLetters } from '../platform/messaging/dead-letters.js';
import { crashPoint } from '../platform/crash-points.js';
import { createAdminRouter } from './admin.js';
import {
  CartInvalidError,
  IdempotencyConflictError,
  NotFoundError,
  NotReadyError,
  ServiceUnavailableError,
  ValidationFailedError,
  errorMiddleware,
  unknownRoute,
  type ReadinessCheck,
} from './errors.js';
import { hashRequest, type IdempotencyStore, type StoredResponse } from './idempotency-store.js';
import { buildOpenApiDocument } from './openapi.js';
import { createOrderGateway, defaultOrderCallTimeouts, type OrderCallTimeouts } from './orders.js';
import {
  CreateOrderRequestSchema,
  IdempotencyKeySchema,
  ListOrdersQuerySchema,
  NotificationsQuerySchema,
  OrderIdSchema,
  PutProductRequestSchema,
  SkuSchema,
  type CreatedOrder,
  type Order,
  type OrderSummary,
  type Product,
} from './schemas.js';

/** A dependency /ready checks; `check` rejects (or times out) when the dependency is not usable. */
export interface ReadinessProbe {
  component: string;
  check: (timeoutMs: number) => Promise<unknown>;
}

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
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'TEMPORAL_UI_URL' | 'INVENTORY_URL' | 'NOTIFICATIONS_URL' | 'PUBLIC_URL' | 'INVENTORY_TIMEOUT'>;
  log: Logger;
  temporal: Client;
  idempotency: IdempotencyStore;
  /** The api's own catalog replica; product reads never call inventory. */
  catalog: { list(): Promise<ReplicaProduct[]>; get(sku: string): Promise<ReplicaProduct | undefined> };
  readiness: ReadinessProbe[];
  /** Operators' dead-letter tooling behind /admin/dead-letters. */
  deadLetters: DeadLetters;
  limits?: Partial<ApiLimits>;
}

function parse<S extends z.ZodType>(schema: S, input: unknown, location: 'body' | 'query' | 'header' | 'path'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationFailedError.fromZod(result.error, location);
  return result.data;
}

function idempotencyKeyFrom(req: Request): string | undefined {
  const header = req.get('Idempotency-Key');
  if (header === undefined) return undefined;
  const result = IdempotencyKeySchema.safeParse(header);
  if (!result.success) {
    throw new ValidationFailedError(result.error.issues.map((issue) => ({ path: 'Idempotency-Key', message: issue.message })), 'request header');
  }
  return result.data;
}

/**
 * Cursors carry Temporal's page token plus a checksum over it and the filter: a damaged cursor, or one from another
 * filter, is a clear 400 here instead of a token the server retries on until the deadline.
 */
function cursorChecksum(token: Uint8Array, filter: object): string {
  return createHash('sha256').update(JSON.stringify(filter)).update(token).digest('base64url').slice(0, 16);
}

function encodeCursor(token: Uint8Array, filter: object): string {
  return `${Buffer.from(token).toString('base64url')}.${cursorChecksum(token, filter)}`;
}

function decodeCursor(cursor: string, filter: object): Uint8Array {
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{16})$/.exec(cursor);
  const token = match ? Buffer.from(match[1]!, 'base64url') : undefined;
  if (!match || !token || token.length === 0 || cursorChecksum(token, filter) !== match[2]) {
    throw new ValidationFailedError(
      [{ path: 'cursor', message: 'cursor is not valid (pass nextCursor unchanged, with the same customerId and status)' }],
      'request query',
    );
  }
  return token;
}

/** Rejects after `ms`, so one hanging dependency cannot hang the caller. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const toProduct = (product: ReplicaProduct): Product => ({
  sku: product.sku,
  name: product.name,
  price: product.price,
  currency: product.currency,
  available: product.available,
  active: product.active,
});

/** One line per request with its outcome; the request id is echoed so a caller can quote it. */
function requestLogger(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = req.get('X-Request-Id')?.slice(0, 100) || randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug';
      log[level]({ requestId, method: req.method, url: req.originalUrl, status: res.statusCode, durationMs: Math.round(durationMs) }, 'request');
    });
    next();
  };
}

export function createApp(deps: ApiDependencies): express.Express {
  const { config, idempotency, catalog } = deps;
  const log = deps.log;
  const limits = { ...defaultApiLimits, ...deps.limits };
  const orders = createOrderGateway(deps.temporal, config.TEMPORAL_TASK_QUEUE, limits.orderCalls);
  const namespace = deps.temporal.options.namespace;
  const publicBase = (config.PUBLIC_URL ?? '').replace(/\/$/, '');
  const temporalUiBase = config.TEMPORAL_UI_URL.replace(/\/$/, '');

  const links = (orderId: string) => ({
    self: `${publicBase}/orders/${orderId}`,
    temporalUi: `${temporalUiBase}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(orderWorkflowId(orderId))}`,
  });
  const lines = (state: OrderState) =>
    state.lines.map(({ sku, name, quantity, unitPrice, lineTotal }) => ({ sku, name, quantity, unitPrice, lineTotal }));

  /** The early-return answer: CART_VERIFIED even if the workflow has moved on since, as the contract promises. */
  const placedResponse = (orderId: string, state: OrderState): StoredResponse => {
    if (state.status === 'REJECTED') return { status: 422, body: new CartInvalidError(orderId, state.cartIssues ?? []).toBody() };
    // Only an order whose workflow died before verifying its cart can be here; that is a fault, not an answer to store.
    if (state.status === 'RECEIVED') throw new Error(`order ${orderId} ended before its cart was verified`);
    const body: CreatedOrder = {
      orderId,
      status: 'CART_VERIFIED',
      customerId: state.customerId,
      lines: lines(state),
      total: state.total,
      currency: state.currency,
      createdAt: state.createdAt,
      links: links(orderId),
    };
    return { status: 201, body };
  };

  const send = (res: Response, orderId: string, response: StoredResponse) => {
    if (response.status === 201) res.location(links(orderId).self);
    res.status(response.status).json(response.body);
  };

  /** Ids are UUIDs; anything else cannot name an order, so it is simply not found. */
  const orderIdFrom = (req: Request): string => {
    const orderId = String(req.params.orderId);
    if (!OrderIdSchema.safeParse(orderId).success) throw new NotFoundError(`Order ${orderId} not found`);
    return orderId;
  };

  /** Calls an owner service; unreachable, timing out or failing on its side all mean 503 for our caller. */
  const callUpstream = async (service: string, url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> => {
    let response: globalThis.Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(limits.upstreamTimeoutMs) });
    } catch (error) {
      log.warn({ err: error, service, url }, 'upstream call failed');
      throw new ServiceUnavailableError(`${service} is not reachable; retry later`);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status >= 500 || body === undefined) {
      log.warn({ service, url, status: response.status }, 'upstream answered with an error');
      throw new ServiceUnavailableError(`${service} could not answer (HTTP ${response.status}); retry later`);
    }
    return { status: response.status, body };
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogger(log));
  app.use(express.json({ limit: limits.bodyLimit, type: ['application/json', 'application/*+json'] }));

  app.post('/orders', async (req, res) => {
    const body = parse(CreateOrderRequestSchema, req.body, 'body');
    const key = idempotencyKeyFrom(req);

    let orderId: string = randomUUID();
    if (key !== undefined) {
      const claim = await idempotency.claim(key, hashRequest(body));
      if (claim.kind === 'conflict') throw new IdempotencyConflictError();
      if (claim.kind === 'replay') {
        send(res, claim.orderId, claim.response);
        return;
      }
      // 'new' or 'in-progress': the same order id means the same workflow, which attaches a retry to the first attempt.
      orderId = claim.orderId;
    }

    const input: OrderInput = { orderId, ...body, createdAt: new Date().toISOString(), inventoryTimeoutMs: config.INVENTORY_TIMEOUT };
    const state = await orders.placeOrder(input);
    // The order exists but the client has no answer yet: a retry with the same key must find this same order.
    crashPoint('api:before-answer');
    const response = placedResponse(orderId, state);
    if (key !== undefined) await idempotency.saveResponse(key, response);
    send(res, orderId, response);
  });

  app.get('/orders', async (req, res) => {
    const query = parse(ListOrdersQuerySchema, req.query, 'query');
    const filter = { customerId: query.customerId, status: query.status };
    const pageToken = query.cursor === undefined ? undefined : decodeCursor(query.cursor, filter);
    const page = await orders.listOrders({ ...filter, limit: query.limit, pageToken });
    const summaries: OrderSummary[] = page.orders.map((order) => ({ ...order, links: links(order.orderId) }));
    res.json({ orders: summaries, nextCursor: page.nextPageToken ? encodeCursor(page.nextPageToken, filter) : null });
  });

  app.get('/orders/:orderId', async (req, res) => {
    const orderId = orderIdFrom(req);
    const state = await orders.getOrder(orderId);
    const body: Order = {
      orderId,
      status: state.status,
      ...(state.reason !== undefined ? { reason: state.reason } : {}),
      customerId: state.customerId,
      lines: lines(state),
      total: state.total,
      currency: state.currency,
      payment: { status: state.payment.status },
      inventory: { status: state.inventory.status },
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
      links: links(orderId),
    };
    res.json(body);
  });

  app.post('/orders/:orderId/cancel', async (req, res) => {
    const orderId = orderIdFrom(req);
    const state = await orders.cancelOrder(orderId);
    res.json({ orderId, status: state.status });
  });

  app.get('/products', async (_req, res) => {
    res.json({ products: (await catalog.list()).map(toProduct) });
  });

  app.get('/products/:sku', async (req, res) => {
    const sku = String(req.params.sku);
    const product = await catalog.get(sku);
    if (!product) throw new NotFoundError(`Product ${sku} not found`);
    res.json(toProduct(product));
  });

  app.put('/products/:sku', async (req, res) => {
    const sku = parse(SkuSchema, req.params.sku, 'path');
    const body = parse(PutProductRequestSchema, req.body, 'body');
    const answer = await callUpstream('inventory', `${config.INVENTORY_URL.replace(/\/$/, '')}/products/${encodeURIComponent(sku)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    // The owner's own answer (its 200, or its 4xx in the shared error shape) is the caller's answer.
    res.status(answer.status).json(answer.body);
  });

  app.get('/notifications', async (req, res) => {
    const { orderId } = parse(NotificationsQuerySchema, req.query, 'query');
    const answer = await callUpstream(
      'notifications',
      `${config.NOTIFICATIONS_URL.replace(/\/$/, '')}/notifications?orderId=${encodeURIComponent(orderId)}`,
    );
    res.status(answer.status).json(answer.body);
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/ready', async (_req, res) => {
    const checks: ReadinessCheck[] = await Promise.all(
      deps.readiness.map(async ({ component, check }) => {
        try {
          await withTimeout(check(limits.readinessTimeoutMs), limits.readinessTimeoutMs, component);
          return { component, ok: true };
        } catch (error) {
          return { component, ok: false, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    if (checks.some((check) => !check.ok)) throw new NotReadyError(checks);
    res.json({ status: 'ready', checks: Object.fromEntries(checks.map((check) => [check.component, 'ok'])) });
  });

  app.use('/admin/dead-letters', createAdminRouter(deps.deadLetters));

  const openApiDocument = buildOpenApiDocument(config.PUBLIC_URL);
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  app.use(unknownRoute);
  app.use(errorMiddleware(log, limits.bodyLimit));
  return app;
}
