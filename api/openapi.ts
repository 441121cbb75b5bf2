// Generates /openapi.json (OpenAPI 3.1) from the same zod schemas the routes validate with, so the document cannot drift.
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  CancelledOrderSchema,
  CreateOrderRequestSchema,
  CreatedOrderSchema,
  DeadLetterListSchema,
  DeadLetterQueueListSchema,
  DeadLetterQueueParamsSchema,
  ErrorResponseSchema,
  HealthSchema,
  IdempotencyKeySchema,
  ListOrdersQuerySchema,
  NotificationListSchema,
  NotificationsQuerySchema,
  OrderIdParamsSchema,
  OrderListSchema,
  OrderSchema,
  ProductListSchema,
  ProductSchema,
  PurgeDeadLettersQuerySchema,
  PurgedSchema,
  PutProductRequestSchema,
  ReadySchema,
  ReplayDeadLettersRequestSchema,
  ReplayedSchema,
  ShowDeadLettersQuerySchema,
  SkuParamsSchema,
  WrittenProductSchema,
} from './schemas.js';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: json(schema) });
const error = (description: string): ResponseConfig => ({ description, content: json(ErrorResponseSchema) });

const internal = { 500: error('INTERNAL: unexpected failure (no internals are exposed)') };
const invalid = { 400: error('VALIDATION_FAILED: details name each field: [{ path, message }]') };
const tooLarge = { 413: error('PAYLOAD_TOO_LARGE: the body exceeds the size limit') };
const temporalDown = { 503: error('SERVICE_UNAVAILABLE: Temporal or the order workflow did not answer in time; retry') };

function buildRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();

  registry.registerPath({
    method: 'post',
    path: '/orders',
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
      409: error('IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was used with another body'),
      ...tooLarge,
      422: error('CART_INVALID: details [{ sku, reason }] with reason UNKNOWN_SKU, INACTIVE, INSUFFICIENT_STOCK, QUANTITY_LIMIT or PRICE_CHANGED; error.orderId names the rejected order'),
      ...internal,
      ...temporalDown,
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/orders',
    operationId: 'listOrders',
    summary: 'List orders (Temporal visibility; eventually consistent), newest first',
    request: { query: ListOrdersQuerySchema },
    responses: { 200: ok('A page of orders', OrderListSchema), ...invalid, ...internal, ...temporalDown },
  });

  registry.registerPath({
    method: 'get',
    path: '/orders/{orderId}',
    operationId: 'getOrder',
    summary: "The order's current state, read from its workflow",
    request: { params: OrderIdParamsSchema },
    responses: { 200: ok('The order', OrderSchema), 404: error('NOT_FOUND: no such order'), ...internal, ...temporalDown },
  });

  registry.registerPath({
    method: 'post',
    path: '/orders/{orderId}/cancel',
    operationId: 'cancelOrder',
    summary: 'Cancel an order while inventory has not answered yet',
    request: { params: OrderIdParamsSchema },
    responses: {
      200: ok('Cancelled', CancelledOrderSchema),
      404: error('NOT_FOUND: no such order'),
      409: error('CANNOT_CANCEL: the order is confirmed or already ended'),
      ...internal,
      ...temporalDown,
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/products',
    operationId: 'listProducts',
    summary: "The catalog as the orders side's replica sees it",
    responses: { 200: ok('All products', ProductListSchema), ...internal },
  });

  registry.registerPath({
    method: 'get',
    path: '/products/{sku}',
    operationId: 'getProduct',
    summary: "One product as the orders side's replica sees it",
    request: { params: SkuParamsSchema },
    responses: { 200: ok('The product', ProductSchema), 404: error('NOT_FOUND: the replica does not know this sku'), ...internal },
  });

  registry.registerPath({
    method: 'put',
    path: '/products/{sku}',
    operationId: 'putProduct',
    summary: 'Create or change a product at its owner (inventory); the replica follows through events',
    request: { params: SkuParamsSchema, body: { required: true, content: json(PutProductRequestSchema) } },
    responses: {
      200: ok('Written by inventory; `revision` is what the replica will reach', WrittenProductSchema),
      ...invalid,
      ...tooLarge,
      ...internal,
      503: error('SERVICE_UNAVAILABLE: inventory is not reachable'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/notifications',
    operationId: 'listNotifications',
    summary: 'What the customer was told about an order',
    request: { query: NotificationsQuerySchema },
    responses: {
      200: ok('Notifications for the order', NotificationListSchema),
      ...invalid,
      ...internal,
      503: error('SERVICE_UNAVAILABLE: notifications is not reachable'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness: the process is running',
    responses: { 200: ok('Alive', HealthSchema) },
  });

  registry.registerPath({
    method: 'get',
    path: '/ready',
    operationId: 'ready',
    summary: 'Readiness: Temporal, RabbitMQ and the stores are reachable',
    responses: {
      200: ok('Every dependency answered', ReadySchema),
      503: error('NOT_READY: the message names what is down; details [{ component, ok, error? }]'),
    },
  });

  const notDeadLetterQueue = { 404: error('NOT_FOUND: no such dead-letter queue, or the name is not one (live queues are never touched)') };
  const brokerDown = { 503: error('SERVICE_UNAVAILABLE: RabbitMQ or its management API is not reachable') };

  registry.registerPath({
    method: 'get',
    path: '/admin/dead-letters',
    operationId: 'listDeadLetterQueues',
    tags: ['admin'],
    summary: 'Operators: every dead-letter queue and the unroutable queue, with its depth',
    responses: { 200: ok('The dead-letter queues', DeadLetterQueueListSchema), ...internal, ...brokerDown },
  });

  registry.registerPath({
    method: 'get',
    path: '/admin/dead-letters/{queue}',
    operationId: 'showDeadLetters',
    tags: ['admin'],
    summary: 'Operators: the first messages of a dead-letter queue, with why each is there; nothing is removed',
    request: { params: DeadLetterQueueParamsSchema, query: ShowDeadLettersQuerySchema },
    responses: { 200: ok('The messages, oldest first', DeadLetterListSchema), ...invalid, ...notDeadLetterQueue, ...internal, ...brokerDown },
  });

  registry.registerPath({
    method: 'post',
    path: '/admin/dead-letters/{queue}/replay',
    operationId: 'replayDeadLetters',
    tags: ['admin'],
    summary: 'Operators: move messages back to the queue they failed in (unroutable events: to the events exchange), attempts reset',
    request: { params: DeadLetterQueueParamsSchema, body: { required: false, content: json(ReplayDeadLettersRequestSchema) } },
    responses: {
      200: ok('How many were moved', ReplayedSchema),
      ...invalid,
      404: error('NOT_FOUND: no such dead-letter queue (or not one), or no message with that id'),
      409: error('REPLAY_TARGET_MISSING: the queue the message came from does not exist; it was kept'),
      ...internal,
      ...brokerDown,
    },
  });

  registry.registerPath({
    method: 'delete',
    path: '/admin/dead-letters/{queue}',
    operationId: 'purgeDeadLetters',
    tags: ['admin'],
    summary: 'Operators: drop the message with messageId, or every message of the dead-letter queue',
    request: { params: DeadLetterQueueParamsSchema, query: PurgeDeadLettersQuerySchema },
    responses: {
      200: ok('How many were dropped', PurgedSchema),
      ...invalid,
      404: error('NOT_FOUND: no such dead-letter queue (or not one), or no message with that id'),
      ...internal,
      ...brokerDown,
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
  });

  return registry;
}

export function buildOpenApiDocument(serverUrl?: string) {
  return new OpenApiGeneratorV31(buildRegistry().definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Ensemble order API',
      version: '0.1.0',
      description:
        'Orders are orchestrated by one Temporal workflow each; inventory and notifications react to events. ' +
        'Money is in integer minor units. Every error is { "error": { "code", "message", "details"? } }; unknown routes answer 404 NOT_FOUND.',
    },
    servers: serverUrl ? [{ url: serverUrl }] : [],
  });
}
