// The HTTP contract as zod schemas: requests are validated with them and /openapi.json is generated from them.
import { z } from 'zod';
import { DEFAULT_SHOW_LIMIT, MAX_SHOW_LIMIT } from '../platform/messaging/dead-letters.js';
import { OrderStatus } from '../workflows/contract.js';

const orderStatuses = Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]];
/** "x is required" when missing, "x must be a <kind>" when of the wrong type: the message names the field either way. */
const typeError = (field: string, kind: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${field} is required` : `${field} must be ${kind}`;
const minorUnits = (field: string) =>
  z
    .number({ error: typeError(field, 'a number') })
    .int(`${field} must be an integer (minor units)`)
    .min(0, `${field} must not be negative`);
const text = (field: string, max: number) =>
  z
    .string({ error: typeError(field, 'a string') })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`);

export const MAX_ORDER_LINES = 50;
export const MAX_LINE_QUANTITY = 100;

export const SkuSchema = z
  .string({ error: typeError('sku', 'a string') })
  .min(1, 'sku must not be empty')
  .max(64, 'sku must be at most 64 characters')
  .regex(/^[A-Za-z0-9._-]+$/, 'sku may contain only letters, digits, ".", "_" and "-"')
  .meta({ description: 'Stock keeping unit', example: 'MUG-001' });

export const OrderIdSchema = z.uuid('orderId must be a UUID').meta({ description: 'Order id (UUID)', example: '0b7e7d1c-2f4e-4f55-9d0a-3c1c2b7f9a10' });

export const ErrorDetailSchema = z
  .object({
    path: z.string().optional().meta({ description: 'Where the problem is, dot-separated (VALIDATION_FAILED)' }),
    message: z.string().optional(),
    sku: z.string().optional().meta({ description: 'Which cart line (CART_INVALID)' }),
    reason: z.string().optional().meta({ description: 'Why the line was refused (CART_INVALID)' }),
    component: z.string().optional().meta({ description: 'Which dependency (NOT_READY)' }),
    ok: z.boolean().optional(),
    error: z.string().optional(),
  })
  .meta({ id: 'ErrorDetail' });

export const ErrorResponseSchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().meta({ example: 'VALIDATION_FAILED' }),
      message: z.string(),
      details: z.array(ErrorDetailSchema).optional(),
      orderId: z.string().optional().meta({ description: 'The rejected order (CART_INVALID only)' }),
    }),
  })
  .meta({ id: 'ErrorResponse', description: 'Every error has this shape' });

export const ShippingAddressSchema = z
  .strictObject(
    {
      name: text('shippingAddress.name', 200),
      line1: text('shippingAddress.line1', 200),
      line2: text('shippingAddress.line2', 200).optional(),
      city: text('shippingAddress.city', 100),
      postalCode: text('shippingAddress.postalCode', 20),
      country: z
        .string({ error: typeError('shippingAddress.country', 'a string') })
        .regex(/^[A-Z]{2}$/, 'shippingAddress.country must be a 2-letter ISO 3166-1 code in capitals, e.g. "NL"'),
    },
    { error: typeError('shippingAddress', 'an object') },
  )
  .meta({ id: 'ShippingAddress' });

export const OrderItemSchema = z
  .strictObject({
    sku: SkuSchema,
    quantity: z
      .number({ error: typeError('quantity', 'a number') })
      .int('quantity must be an integer')
      .min(1, 'quantity must be at least 1')
      .max(MAX_LINE_QUANTITY, `quantity must be at most ${MAX_LINE_QUANTITY}`),
  }, { error: typeError('item', 'an object { sku, quantity }') })
  .meta({ id: 'OrderItem' });

export const CreateOrderRequestSchema = z
  .strictObject({
    customerId: text('customerId', 100).meta({ example: 'cust-42' }),
    email: z
      .email({ error: typeError('email', 'a valid e-mail address') })
      .max(254, 'email must be at most 254 characters')
      .meta({ example: 'ada@example.com' }),
    items: z
      .array(OrderItemSchema, { error: typeError('items', 'an array') })
      .min(1, 'items must contain at least 1 line')
      .max(MAX_ORDER_LINES, `items must contain at most ${MAX_ORDER_LINES} lines`),
    paymentToken: z
      .string({ error: typeError('paymentToken', 'a string') })
      .regex(/^tok_[A-Za-z0-9_]{1,100}$/, 'paymentToken must be a payment token starting with "tok_"')
      .meta({ example: 'tok_visa' }),
    shippingAddress: ShippingAddressSchema,
    expectedTotal: minorUnits('expectedTotal')
      .optional()
      .meta({ description: 'The total the client showed, in minor units; a different computed total rejects the cart (PRICE_CHANGED)' }),
  }, { error: typeError('body', 'a JSON object') })
  .meta({ id: 'CreateOrderRequest' });
export type CreateOrderRequest = z.infer<typeof CreateOrderRequestSchema>;

export const IdempotencyKeySchema = z
  .string()
  .min(1, 'Idempotency-Key must not be empty')
  .max(255, 'Idempotency-Key must be at most 255 characters')
  .regex(/^[\x21-\x7e]+$/, 'Idempotency-Key must be printable ASCII without spaces');

export const OrderLineSchema = z
  .strictObject({
    sku: z.string(),
    name: z.string(),
    quantity: z.number().int(),
    unitPrice: z.number().int().meta({ description: 'Minor units' }),
    lineTotal: z.number().int().meta({ description: 'Minor units' }),
  })
  .meta({ id: 'OrderLine' });

export const OrderLinksSchema = z
  .strictObject({
    self: z.string().meta({ example: '/orders/0b7e7d1c-2f4e-4f55-9d0a-3c1c2b7f9a10' }),
    temporalUi: z.url().meta({ description: "The order's workflow in the Temporal web UI" }),
  })
  .meta({ id: 'OrderLinks' });

export const OrderStatusSchema = z.enum(orderStatuses).meta({ id: 'OrderStatus' });

export const CreatedOrderSchema = z
  .strictObject({
    orderId: z.string(),
    status: z.literal('CART_VERIFIED'),
    customerId: z.string(),
    lines: z.array(OrderLineSchema),
    total: z.number().int(),
    currency: z.string(),
    createdAt: z.iso.datetime(),
    links: OrderLinksSchema,
  })
  .meta({ id: 'CreatedOrder', description: 'The order once its cart is verified (early return; payment follows)' });
export type CreatedOrder = z.infer<typeof CreatedOrderSchema>;

export const OrderSchema = z
  .strictObject({
    orderId: z.string(),
    status: OrderStatusSchema,
    reason: z.string().optional().meta({ description: 'Why it ended as it did: OUT_OF_STOCK, INVENTORY_TIMEOUT, CUSTOMER_REQUEST, CART_INVALID, …' }),
    customerId: z.string(),
    lines: z.array(OrderLineSchema),
    total: z.number().int(),
    currency: z.string(),
    payment: z.strictObject({ status: z.string() }),
    inventory: z.strictObject({ status: z.string() }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    links: OrderLinksSchema,
  })
  .meta({ id: 'Order' });
export type Order = z.infer<typeof OrderSchema>;

export const OrderSummarySchema = z
  .strictObject({
    orderId: z.string(),
    status: OrderStatusSchema,
    customerId: z.string(),
    total: z.number().int(),
    createdAt: z.iso.datetime(),
    links: OrderLinksSchema,
  })
  .meta({ id: 'OrderSummary' });
export type OrderSummary = z.infer<typeof OrderSummarySchema>;

export const OrderListSchema = z
  .strictObject({
    orders: z.array(OrderSummarySchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .meta({ id: 'OrderList' });

export const ListOrdersQuerySchema = z.strictObject({
  customerId: text('customerId', 100).optional(),
  status: z
    .enum(orderStatuses, { error: `status must be one of ${orderStatuses.join(', ')}` })
    .optional(),
  limit: z.coerce
    .number({ error: typeError('limit', 'a number') })
    .int('limit must be an integer')
    .min(1, 'limit must be at least 1')
    .max(100, 'limit must be at most 100')
    .default(20),
  cursor: z.string().min(1, 'cursor must not be empty').max(4096, 'cursor is too long').optional(),
});
export type ListOrdersQuery = z.infer<typeof ListOrdersQuerySchema>;

export const CancelledOrderSchema = z
  .strictObject({ orderId: z.string(), status: OrderStatusSchema })
  .meta({ id: 'CancelOrderResult' });

export const ProductSchema = z
  .strictObject({
    sku: z.string(),
    name: z.string(),
    price: z.number().int().meta({ description: 'Minor units' }),
    currency: z.string(),
    available: z.number().int(),
    active: z.boolean(),
  })
  .meta({ id: 'Product', description: 'A product as the orders side (its catalog replica) sees it' });
export type Product = z.infer<typeof ProductSchema>;

export const ProductListSchema = z.strictObject({ products: z.array(ProductSchema) }).meta({ id: 'ProductList' });

export const PutProductRequestSchema = z
  .strictObject({
    name: text('name', 200),
    price: minorUnits('price'),
    available: z.number({ error: typeError('available', 'a number') }).int('available must be an integer').min(0, 'available must not be negative'),
    active: z.boolean({ error: typeError('active', 'true or false') }).optional(),
  }, { error: typeError('body', 'a JSON object') })
  .meta({ id: 'PutProductRequest' });

/** What inventory (the owner) answers; `revision` tells when the replica has caught up. */
export const WrittenProductSchema = ProductSchema.extend({ revision: z.number().int() }).meta({ id: 'WrittenProduct' });

export const NotificationSchema = z
  .object({
    id: z.string(),
    orderId: z.string(),
    type: z.string(),
    channel: z.string(),
    to: z.string(),
    sentAt: z.string().nullable(),
  })
  .meta({ id: 'Notification' });

export const NotificationListSchema = z.object({ notifications: z.array(NotificationSchema) }).meta({ id: 'NotificationList' });

export const NotificationsQuerySchema = z.strictObject({
  orderId: z.string({ error: 'orderId is required' }).min(1, 'orderId must not be empty').max(100, 'orderId is too long'),
});

export const HealthSchema = z.strictObject({ status: z.literal('ok') }).meta({ id: 'Health' });

export const ReadySchema = z
  .strictObject({
    status: z.literal('ready'),
    checks: z.record(z.string(), z.literal('ok')).meta({ description: 'Every dependency checked, by name' }),
  })
  .meta({ id: 'Ready' });

export const OrderIdParamsSchema = z.strictObject({ orderId: z.string().meta({ description: 'Order id' }) });
export const SkuParamsSchema = z.strictObject({ sku: z.string().meta({ description: 'Stock keeping unit' }) });

// Operators' dead-letter routes (/admin/dead-letters).

const queueName = z.string().min(1).max(255).meta({ description: 'A dead-letter queue (`<queue>.dlq`) or the unroutable queue', example: 'inventory.dlq' });
const messageIdField = z
  .string({ error: typeError('messageId', 'a string') })
  .min(1, 'messageId must not be empty')
  .max(200, 'messageId must be at most 200 characters')
  .meta({ description: 'The message (event) id; without it, every message' });

export const DeadLetterQueueSchema = z
  .strictObject({
    queue: z.string(),
    consumerQueue: z.string().nullable().meta({ description: 'The consumer queue whose failures land here; null for unroutable events' }),
    kind: z.enum(['dead-letter', 'unroutable']),
    messages: z.number().int().meta({ description: 'Messages waiting' }),
  })
  .meta({ id: 'DeadLetterQueue' });

export const DeadLetterQueueListSchema = z.strictObject({ queues: z.array(DeadLetterQueueSchema) }).meta({ id: 'DeadLetterQueueList' });

export const DeadLetterSchema = z
  .strictObject({
    messageId: z.string().nullable(),
    type: z.string().nullable().meta({ description: 'Event type (routing key)' }),
    orderId: z.string().nullable(),
    attempts: z.number().int().nullable().meta({ description: "The consumer's attempts; null when the broker dead-lettered it (delivery limit) or it was unroutable" }),
    reason: z.string().meta({ description: "The handler's last error, the broker's reason, or why it was unroutable" }),
    deadLetteredAt: z.string().nullable(),
    originalQueue: z.string().nullable().meta({ description: 'Where replay sends it; null for unroutable events (replayed to the events exchange)' }),
    event: z.unknown().meta({ description: 'The event as published (the raw body when it is not JSON)' }),
  })
  .meta({ id: 'DeadLetter' });

export const DeadLetterListSchema = z.strictObject({ queue: z.string(), messages: z.array(DeadLetterSchema) }).meta({ id: 'DeadLetterList' });

export const DeadLetterQueueParamsSchema = z.strictObject({ queue: queueName });

export const ShowDeadLettersQuerySchema = z.strictObject({
  limit: z.coerce
    .number({ error: typeError('limit', 'a number') })
    .int('limit must be an integer')
    .min(1, 'limit must be at least 1')
    .max(MAX_SHOW_LIMIT, `limit must be at most ${MAX_SHOW_LIMIT}`)
    .default(DEFAULT_SHOW_LIMIT),
});

export const ReplayDeadLettersRequestSchema = z
  .strictObject(
    {
      messageId: messageIdField.optional(),
      limit: z.number({ error: typeError('limit', 'a number') }).int('limit must be an integer').min(1, 'limit must be at least 1').optional()
        .meta({ description: 'Replay only the first N' }),
    },
    { error: typeError('body', 'a JSON object') },
  )
  .meta({ id: 'ReplayDeadLettersRequest' });

export const ReplayedSchema = z.strictObject({ replayed: z.number().int() }).meta({ id: 'DeadLettersReplayed' });

export const PurgeDeadLettersQuerySchema = z.strictObject({ messageId: messageIdField.optional() });

export const PurgedSchema = z.strictObject({ purged: z.number().int() }).meta({ id: 'DeadLettersPurged' });
