// The event catalog: every integration event type and the facts it carries (ids and what consumers need, not aggregates).
import { z } from 'zod';
import { envelopeSchema, EVENT_VERSION, type Envelope } from './envelope.js';

const sku = z.string().min(1).max(64);
const minorUnits = z.number().int().nonnegative();
const currency = z.string().length(3);
const orderLine = z.strictObject({ sku, quantity: z.number().int().positive() });
const pricedLine = orderLine.extend({ unitPrice: minorUnits });
/** Names come with orders placed since the order view (readers show them); older events carry none. */
const placedLine = pricedLine.extend({ name: z.string().min(1).optional() });
const text = (max: number) => z.string().min(1).max(max);
/** Where a confirmed order ships: only order.confirmed carries it, so no address of an order that never ships leaves the workflow. */
const shippingAddress = z.strictObject({
  name: text(200),
  line1: text(200),
  line2: text(200).optional(),
  city: text(100),
  postalCode: text(20),
  country: z.string().regex(/^[A-Z]{2}$/),
});
const cartIssue = z.strictObject({ sku: z.string().min(1), reason: z.string().min(1) });
const shipment = { orderId: z.string(), customerId: z.string(), shipmentId: z.string().min(1), carrier: z.string().min(1) };

export const cancellationReasons = ['OUT_OF_STOCK', 'INVENTORY_TIMEOUT', 'CUSTOMER_REQUEST'] as const;

export const eventDataSchemas = {
  'order.placed': z.strictObject({
    orderId: z.string(),
    customerId: z.string(),
    email: z.email(),
    lines: z.array(placedLine).min(1),
    total: minorUnits,
    currency,
    /** When the API accepted the order (orders placed before the order view carry none). */
    createdAt: z.iso.datetime().optional(),
  }),
  'order.rejected': z.strictObject({
    orderId: z.string(),
    customerId: z.string(),
    issues: z.array(cartIssue).min(1),
    createdAt: z.iso.datetime(),
  }),
  'order.paid': z.strictObject({
    orderId: z.string(),
    customerId: z.string(),
    lines: z.array(orderLine).min(1),
    total: minorUnits,
    currency,
    authorizationId: z.string(),
  }),
  'order.payment-declined': z.strictObject({
    orderId: z.string(),
    customerId: z.string(),
    reason: z.string(),
  }),
  'order.confirmed': z.strictObject({
    orderId: z.string(),
    customerId: z.string(),
    lines: z.array(orderLine).min(1),
    total: minorUnits,
    currency,
    /** Orders confirmed before shipping existed carry none. */
    shippingAddress: shippingAddress.optional(),
  }),
  'order.cancelled': z.strictObject({
    orderId: z.string(),
    customerId: z.string(),
    lines: z.array(orderLine).min(1),
    reason: z.enum(cancellationReasons),
  }),
  'inventory.reserved': z.strictObject({
    orderId: z.string(),
    lines: z.array(orderLine).min(1),
  }),
  'inventory.rejected': z.strictObject({
    orderId: z.string(),
    reason: z.literal('OUT_OF_STOCK'),
    shortages: z.array(z.strictObject({ sku, requested: z.number().int(), available: z.number().int() })),
  }),
  'shipment.dispatched': z.strictObject({
    ...shipment,
    trackingNumber: z.string().min(1),
    trackingUrl: z.url(),
  }),
  'shipment.delivered': z.strictObject({
    ...shipment,
    trackingNumber: z.string().min(1),
    deliveredAt: z.iso.datetime(),
  }),
  /** The carrier would not take the parcel: the order is paid and its stock committed, so an operator decides what next. */
  'shipment.failed': z.strictObject({
    orderId: z.string(),
    customerId: z.string(),
    carrier: z.string().min(1),
    reason: z.enum(['ADDRESS_REFUSED', 'ADDRESS_MISSING']),
    message: z.string().min(1),
  }),
  'catalog.product-updated': z.strictObject({
    sku,
    name: z.string().min(1),
    price: minorUnits,
    currency,
    available: z.number().int().nonnegative(),
    active: z.boolean(),
    /** Monotonic per sku, so a replica applies updates in order even when they arrive out of order. */
    revision: z.number().int().positive(),
  }),
  'catalog.snapshot-requested': z.strictObject({
    requestedBy: z.string().min(1),
  }),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;
export type IntegrationEvent<T extends EventType = EventType> = { [K in T]: Envelope<K, EventData<K>> }[T];

export const eventTypes = Object.keys(eventDataSchemas) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventDataSchemas, type);
}

export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(message: string, readonly issues: unknown[] = []) {
    super(message);
  }
}

/** Validates an envelope and its data against the catalog; throws InvalidEventError (a poison message) otherwise. */
export function parseEvent(raw: unknown): IntegrationEvent {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) throw new InvalidEventError(`invalid envelope: ${z.prettifyError(envelope.error)}`, envelope.error.issues);
  const { type } = envelope.data;
  if (!isEventType(type)) throw new InvalidEventError(`unknown event type "${type}"`);
  const data = eventDataSchemas[type].safeParse(envelope.data.data);
  if (!data.success) throw new InvalidEventError(`invalid ${type} data: ${z.prettifyError(data.error)}`, data.error.issues);
  return { ...envelope.data, type, data: data.data } as IntegrationEvent;
}

export interface EventOrigin {
  /** Deterministic id: a retried producer must produce the same id so consumers can deduplicate. */
  eventId: string;
  correlationId: string;
  causationId?: string;
  orderId?: string;
  occurredAt?: Date;
}

/** Builds a validated event; producers use this so an invalid event never leaves the process. */
export function createEvent<T extends EventType>(type: T, data: EventData<T>, origin: EventOrigin): IntegrationEvent<T> {
  const event = {
    eventId: origin.eventId,
    type,
    occurredAt: (origin.occurredAt ?? new Date()).toISOString(),
    ...(origin.orderId === undefined ? {} : { orderId: origin.orderId }),
    correlationId: origin.correlationId,
    causationId: origin.causationId ?? origin.eventId,
    version: EVENT_VERSION,
    data: eventDataSchemas[type].parse(data),
  };
  return event as unknown as IntegrationEvent<T>;
}
