// The order routes: place and cancel through Temporal (each recorded as the API's own write), read and list from the order view.
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { ForbiddenError, NotFoundError, ServiceUnavailableError, ValidationFailedError } from '../../platform/http/errors.js';
import { parseRequest } from '../../platform/http/validation.js';
import { crashPoint } from '../../platform/crash-points.js';
import { orderWorkflowId, type OrderInput, type OrderState } from '../../workflows/contract.js';
import { CartInvalidError, IdempotencyConflictError } from '../http/errors.js';
import { actsFor, callerOf, requireAuthenticated } from '../http/auth.js';
import { createOrderAccess } from './access.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { customerScopedKey, hashRequest, type IdempotencyStore, type StoredResponse } from './idempotency-store.js';
import {
  CreateOrderRequestSchema,
  IdempotencyKeySchema,
  ListOrdersQuerySchema,
  OrderIdParamsSchema,
  OrderIdSchema,
  type CreatedOrder,
  type Order,
  type OrderSummary,
} from './schemas.js';
import type { OrderGateway } from './temporal-gateway.js';
import type { ListSource, OrderReads } from './order-reads.js';
import type { OrderWrites } from './order-writes.js';
import { OrderNotFoundError, TimelineUnavailableError, type Timeline } from './timeline/gather.js';

export interface OrdersRouterOptions {
  /** Places and cancels orders (Temporal). */
  orders: OrderGateway;
  /** Reads them: the order view, the API's own writes, Temporal when the view is away. */
  reads: OrderReads;
  /** The API's own writes, kept so that its reads show them before the view has applied the events. */
  writes: OrderWrites;
  idempotency: IdempotencyStore;
  /** INVENTORY_TIMEOUT; unset leaves the deadline to the workflow's default. */
  inventoryTimeoutMs?: number;
  /** INVENTORY_SLOW_AFTER; unset leaves the watchdog's threshold to the workflow's default. */
  inventorySlowAfterMs?: number;
  /** Where clients reach the API (for `links.self` and Location); empty for relative links. */
  publicUrl: string | undefined;
  temporalUiUrl: string;
  namespace: string;
  /** The order's workflow history and the choreography participants' journals, merged. */
  readTimeline: (orderId: string) => Promise<Timeline>;
  /** Seals the payment token before it enters Temporal: only the authorizePayment activity opens it. */
  sealPaymentToken: (token: string) => string;
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
 * An id no store could keep (control characters, too long) is a 400 naming the parameter; a printable one that is not
 * a UUID cannot name an order, so it is simply not found.
 */
function orderIdFrom(req: Request): string {
  const { orderId } = parseRequest(OrderIdParamsSchema, req.params, 'path');
  if (!OrderIdSchema.safeParse(orderId).success) throw new NotFoundError(`Order ${orderId} not found`);
  return orderId;
}

/** A list cursor's token names the store its page came from (one byte), then that store's own position. */
const sourceTags: Record<ListSource, number> = { view: 0x76, temporal: 0x74 };
const cursorToken = ({ source, token }: { source: ListSource; token: Uint8Array }) => Buffer.concat([Buffer.of(sourceTags[source]), token]);
function fromCursorToken(bytes: Uint8Array): { source: ListSource; token: Uint8Array } {
  const source = (Object.keys(sourceTags) as ListSource[]).find((name) => sourceTags[name] === bytes[0]);
  if (source === undefined || bytes.length < 2) {
    throw new ValidationFailedError([{ path: 'cursor', message: 'cursor is not valid (pass nextCursor unchanged, with the same customerId and status)' }], 'request query');
  }
  return { source, token: bytes.subarray(1) };
}

const lines = (state: OrderState) => state.lines.map(({ sku, name, quantity, unitPrice, lineTotal }) => ({ sku, name, quantity, unitPrice, lineTotal }));

export function createOrdersRouter(options: OrdersRouterOptions): Router {
  const { orders, idempotency } = options;
  const readVisibleOrder = createOrderAccess((orderId) => options.reads.readOrder(orderId));
  const publicBase = (options.publicUrl ?? '').replace(/\/$/, '');
  const temporalUiBase = options.temporalUiUrl.replace(/\/$/, '');

  const links = (orderId: string) => ({
    self: `${publicBase}/orders/${orderId}`,
    temporalUi: `${temporalUiBase}/namespaces/${encodeURIComponent(options.namespace)}/workflows/${encodeURIComponent(orderWorkflowId(orderId))}`,
  });

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

  const router = Router();

  router.post('/orders', requireAuthenticated, async (req, res) => {
    const body = parseRequest(CreateOrderRequestSchema, req.body, 'body');
    // Before the idempotency claim, so a refused request leaves no key behind. Admins may order on anyone's behalf.
    const caller = callerOf(res);
    if (!actsFor(caller, body.customerId)) throw new ForbiddenError(`A customer orders only as themself: customerId must be ${caller.sub}`);
    const clientKey = idempotencyKeyFrom(req);
    const key = clientKey === undefined ? undefined : customerScopedKey(body.customerId, clientKey);

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

    const input: OrderInput = {
      orderId,
      ...body,
      // After hashRequest: a retry with the same key and body still matches, although each seal differs.
      paymentToken: options.sealPaymentToken(body.paymentToken),
      createdAt: new Date().toISOString(),
      inventoryTimeoutMs: options.inventoryTimeoutMs,
      inventorySlowAfterMs: options.inventorySlowAfterMs,
    };
    const state = await orders.placeOrder(input);
    // Before answering: the client's next read, on whichever API instance, shows the order as this answer leaves it.
    if (state.status !== 'RECEIVED') await options.writes.record(state);
    // The order exists but the client has no answer yet: a retry with the same key must find this same order.
    crashPoint('api:before-answer');
    const response = placedResponse(orderId, state);
    if (key !== undefined) await idempotency.saveResponse(key, response);
    send(res, orderId, response);
  });

  router.get('/orders', requireAuthenticated, async (req, res) => {
    const query = parseRequest(ListOrdersQuerySchema, req.query, 'query');
    const caller = callerOf(res);
    // A customer's list is always their own; naming someone else is refused rather than silently ignored.
    if (caller.role === 'customer' && query.customerId !== undefined && query.customerId !== caller.sub) {
      throw new ForbiddenError(`A customer lists only their own orders: customerId must be ${caller.sub} or left out`);
    }
    const customerId = caller.role === 'customer' ? caller.sub : query.customerId;
    const filter = { customerId, status: query.status };
    const from = query.cursor === undefined ? undefined : fromCursorToken(decodeCursor(query.cursor, filter));
    const page = await options.reads.listOrders({ ...filter, limit: query.limit }, from);
    const summaries: OrderSummary[] = page.orders.map((order) => ({ ...order, links: links(order.orderId) }));
    res.json({ orders: summaries, nextCursor: page.next ? encodeCursor(cursorToken(page.next), filter) : null });
  });

  router.get('/orders/:orderId', requireAuthenticated, async (req, res) => {
    const orderId = orderIdFrom(req);
    const order = await readVisibleOrder(callerOf(res), orderId);
    const body: Order = { ...order, links: links(orderId) };
    res.json(body);
  });

  router.get('/orders/:orderId/timeline', requireAuthenticated, async (req, res) => {
    const orderId = orderIdFrom(req);
    const caller = callerOf(res);
    // Admins skip the extra read: the timeline answers 404 for a missing order on its own.
    if (caller.role !== 'admin') await readVisibleOrder(caller, orderId);
    try {
      res.json(await options.readTimeline(orderId));
    } catch (error) {
      if (error instanceof OrderNotFoundError) throw new NotFoundError(error.message);
      if (error instanceof TimelineUnavailableError) throw new ServiceUnavailableError(`The timeline of order ${orderId} cannot be read: ${error.message}; retry later`);
      throw error;
    }
  });

  router.post('/orders/:orderId/cancel', requireAuthenticated, async (req, res) => {
    const orderId = orderIdFrom(req);
    const caller = callerOf(res);
    // The owner never changes, so reading it first leaves no window for another customer's cancel to slip through.
    if (caller.role !== 'admin') await readVisibleOrder(caller, orderId);
    const state = await orders.cancelOrder(orderId);
    await options.writes.record(state);
    res.json({ orderId, status: state.status });
  });

  return router;
}
