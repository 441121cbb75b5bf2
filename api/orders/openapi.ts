// The order routes' part of /openapi.json, registered next to the routes from the schemas they validate with.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errorResponse, forbidden, internal, invalid, json, ok, tokenRoute, tooLarge, unauthenticated } from '../http/openapi.js';
import {
  CancelledOrderSchema,
  CreateOrderRequestSchema,
  CreatedOrderSchema,
  IdempotencyKeySchema,
  ListOrdersQuerySchema,
  OrderIdParamsSchema,
  OrderListSchema,
  OrderSchema,
  TimelineSchema,
} from './schemas.js';

// Another customer's order answers exactly like a missing one, so its id reveals nothing.
const notFound = { 404: errorResponse("NOT_FOUND: no such order, or one that is not the caller's (the same answer)") };

const temporalDown = { 503: errorResponse('SERVICE_UNAVAILABLE: Temporal or the order workflow did not answer in time; retry') };

const readersDown = { 503: errorResponse('SERVICE_UNAVAILABLE: neither the order view nor Temporal could answer; retry') };

export function registerOrderPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/orders',
    ...tokenRoute,
    operationId: 'placeOrder',
    summary: 'Place an order; answers once the cart is verified (payment continues in the background)',
    request: {
      headers: z.object({
        'Idempotency-Key': IdempotencyKeySchema.optional().meta({
          description: 'Same key and same body → the same order and the same answer; same key, other body → 409',
        }),
      }),
      body: { required: true, content: json(CreateOrderRequestSchema) },
    },
    responses: {
      201: {
        description: 'Cart verified; the order proceeds to payment',
        headers: z.object({ Location: z.string().meta({ description: 'The order: /orders/{orderId}' }) }),
        content: json(CreatedOrderSchema),
      },
      ...invalid,
      ...unauthenticated,
      ...forbidden('a customer ordering for another customerId'),
      409: errorResponse('IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was used with another body'),
      ...tooLarge,
      422: errorResponse('CART_INVALID: details [{ sku, reason }] with reason UNKNOWN_SKU, INACTIVE, INSUFFICIENT_STOCK, QUANTITY_LIMIT or PRICE_CHANGED; error.orderId names the rejected order'),
      ...internal,
      ...temporalDown,
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/orders',
    ...tokenRoute,
    operationId: 'listOrders',
    summary: 'List orders from the order view (eventually consistent; from Temporal visibility while the view is unreachable), newest first',
    request: { query: ListOrdersQuerySchema },
    responses: {
      200: ok("A page of orders; a customer's list holds only their own", OrderListSchema),
      ...invalid,
      ...unauthenticated,
      ...forbidden('a customer naming another customerId'),
      ...internal,
      ...readersDown,
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/orders/{orderId}',
    ...tokenRoute,
    operationId: 'getOrder',
    summary: "The order's state from the order view; an order this API just placed or cancelled reads as it left it; from its workflow while the view is unreachable",
    request: { params: OrderIdParamsSchema },
    responses: { 200: ok('The order', OrderSchema), ...notFound, ...unauthenticated, ...internal, ...readersDown },
  });

  registry.registerPath({
    method: 'get',
    path: '/orders/{orderId}/timeline',
    ...tokenRoute,
    operationId: 'getOrderTimeline',
    summary: "The order's story across both halves: its workflow history and every participant's journal, in time order",
    request: { params: OrderIdParamsSchema },
    responses: {
      200: ok('The timeline; unavailableSources names any participant that could not be read', TimelineSchema),
      ...notFound,
      ...unauthenticated,
      ...internal,
      503: errorResponse('SERVICE_UNAVAILABLE: no participant could be read; retry'),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/orders/{orderId}/cancel',
    ...tokenRoute,
    operationId: 'cancelOrder',
    summary: 'Cancel an order while inventory has not answered yet',
    request: { params: OrderIdParamsSchema },
    responses: {
      200: ok('Cancelled', CancelledOrderSchema),
      ...notFound,
      ...unauthenticated,
      409: errorResponse('CANNOT_CANCEL: the order is confirmed or already ended'),
      ...internal,
      ...temporalDown,
    },
  });
}
