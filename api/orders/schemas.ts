// The order routes' contract as zod schemas: requests are validated with them and their /openapi.json paths are generated from them.
import { z } from 'zod';
import { OrderStatus } from '../../workflows/contract.js';
import { SkuSchema } from '../catalog/schemas.js';
import { identifier, minorUnits, text, typeError } from '../http/schema-fields.js';

const orderStatuses = Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]];

export const MAX_ORDER_LINES = 50;
export const MAX_LINE_QUANTITY = 100;

export const OrderIdSchema = z.uuid('orderId must be a UUID').meta({ description: 'Order id (UUID)', example: '0b7e7d1c-2f4e-4f55-9d0a-3c1c2b7f9a10' });

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
    customerId: identifier('customerId', 100).meta({ description: 'Printable ASCII without spaces', example: 'cust-42' }),
    email: z
      .email({ error: typeError('email', 'a valid e-mail address') })
      .max(254, 'email must be at most 254 characters')
      .meta({ example: 'ada@example.com' }),
    items: z
      .array(OrderItemSchema, { error: typeError('items', 'an array') })
      .min(1, 'items must contain at least 1 line')
      .max(MAX_ORDER_LINES, `items must contain at most ${MAX_ORDER_LINES} lines`)
      // One line per sku: split lines would each pass the per-line quantity limit, and merging them would answer with lines the client never sent.
      .superRefine((items, ctx) => {
        const seen = new Set<string>();
        items.forEach((item, index) => {
          if (seen.has(item.sku)) ctx.addIssue({ code: 'custom', path: [index, 'sku'], message: `duplicate sku ${item.sku}: put its whole quantity on one line` });
          seen.add(item.sku);
        });
      })
      .meta({ description: `1–${MAX_ORDER_LINES} lines, each sku at most once` }),
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

export const ShipmentStatuses = ['NONE', 'PENDING', 'DISPATCHED', 'DELIVERED', 'FAILED', 'UNKNOWN'] as const;

export const ShipmentSchema = z
  .strictObject({
    status: z.enum(ShipmentStatuses).meta({
      description: 'NONE (the order does not ship), PENDING (confirmed, not dispatched yet), DISPATCHED, DELIVERED, FAILED (the carrier refused it), UNKNOWN (read from the workflow, which does not follow shipping)',
    }),
    carrier: z.string().nullable(),
    trackingNumber: z.string().nullable(),
  })
  .meta({ id: 'Shipment' });
export type Shipment = z.infer<typeof ShipmentSchema>;

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
    inventory: z.strictObject({
      status: z.string(),
      awaitingSince: z.iso.datetime().optional().meta({ description: "When the order started waiting on inventory's outcome" }),
      slow: z.literal(true).optional().meta({ description: 'The watchdog: the order waited on inventory longer than INVENTORY_SLOW_AFTER' }),
    }),
    shipment: ShipmentSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    asOf: z.iso.datetime().meta({
      description: 'How fresh this answer is: when the latest event the order view applied happened (or the API\'s own write, or the workflow\'s last change, when the answer came from there)',
    }),
    links: OrderLinksSchema,
  })
  .meta({ id: 'Order', description: 'Read from the order view (eventually consistent); an order this API just placed or cancelled reads at once as it left it; from the workflow while the view is unreachable' });
export type Order = z.infer<typeof OrderSchema>;

export const OrderSummarySchema = z
  .strictObject({
    orderId: z.string(),
    status: OrderStatusSchema,
    customerId: z.string(),
    total: z.number().int(),
    createdAt: z.iso.datetime(),
    reason: z.string().optional().meta({ description: 'As on the order; absent while the list is read from Temporal (the order view unreachable)' }),
    currency: z.string().optional().meta({ description: 'Absent while the list is read from Temporal' }),
    inventory: z
      .strictObject({ status: z.string(), slow: z.literal(true).optional() })
      .optional()
      .meta({ description: "The order's inventory status and the watchdog's flag; absent while the list is read from Temporal" }),
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
  customerId: identifier('customerId', 100).optional(),
  status: z
    .enum(orderStatuses, { error: `status must be one of ${orderStatuses.join(', ')}` })
    .optional(),
  limit: z.coerce
    .number({ error: typeError('limit', 'a number') })
    .int('limit must be an integer')
    .min(1, 'limit must be at least 1')
    .max(100, 'limit must be at most 100')
    .default(20),
  cursor: z
    .string()
    .max(4096, 'cursor is too long')
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}$/, 'cursor is not valid (pass nextCursor unchanged, with the same customerId and status)')
    .optional()
    .meta({ description: 'The nextCursor of the previous page, unchanged' }),
});
export type ListOrdersQuery = z.infer<typeof ListOrdersQuerySchema>;

export const CancelledOrderSchema = z
  .strictObject({ orderId: z.string(), status: OrderStatusSchema })
  .meta({ id: 'CancelOrderResult' });

export const OrderIdParamsSchema = z.strictObject({
  orderId: identifier('orderId', 100).meta({ description: 'Order id, a UUID (another printable id names no order: 404)' }),
});

export const TimelineEntrySchema = z
  .strictObject({
    at: z.iso.datetime().meta({ description: 'When it happened, as the participant recorded it' }),
    source: z.string().meta({ description: 'The participant: orchestrator, payment, catalog-replica, inventory, notifications, order-outcome, …', example: 'inventory' }),
    kind: z.string().meta({
      description:
        'What happened. From the workflow history: workflow-started, step-scheduled, step-started, step-retried, step-retrying, step-completed, step-failed, ' +
        'event-published, update-accepted, update-completed, signal-received, timer-started, timer-fired, timer-cancelled (inventory-slow-after, ' +
        'inventory-deadline, or retry-backoff: a local step waiting for its next attempt), search-attributes-changed, workflow-completed. ' +
        'Local steps (cart verification and publishes) show only started, retried, completed or failed. From the journals: event-consumed (detail.outcome handled, duplicate, retry-scheduled or dead-lettered), event-emitted, ' +
        'event-relayed, signal-sent, signal-dropped, notification-sent, notification-failed.',
      example: 'event-consumed',
    }),
    name: z.string().meta({ description: 'The event type, step or signal concerned', example: 'order.paid' }),
    detail: z.record(z.string(), z.unknown()).optional(),
    eventId: z.string().optional(),
    traceId: z.string().optional().meta({ description: 'The W3C trace id of the work, where traced' }),
    attempt: z.number().int().optional(),
  })
  .meta({ id: 'TimelineEntry' });

export const TimelineSchema = z
  .strictObject({
    orderId: z.string(),
    entries: z.array(TimelineEntrySchema),
    unavailableSources: z
      .array(z.strictObject({ source: z.string(), message: z.string() }))
      .meta({ description: 'Participants that could not be read just now; the entries lack their part' }),
  })
  .meta({ id: 'Timeline', description: "The order's workflow history and the choreography around it, in time order" });
