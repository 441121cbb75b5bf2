// The event catalog: every integration event type and the facts it carries (ids and what consumers need, not aggregates).
import { z } from 'zod';
import { envelopeSchema, EVENT_VERSION, type Envelope } from './envelope.js';

const sku = z.string().min(1).max(64);
const minorUnits = z.number().int().nonnegative();
const currency = z.string().length(3);
const orderLine = z.strictObject({ sku, quantity: z.number().int().positive() });
const pricedLine = orderLine.extend({ unitPrice: minorUnits });

export const cancellationReasons = ['OUT_OF_STOCK', 'INVENTORY_TIMEOUT', 'CUSTOMER_REQUEST'] as const;

export const eventDataSchemas = {
  'order.placed': z.strictObject({
    orderId: z.string(),
    customerId: z.string(),
    email: z.email(),
    lines: z.array(pricedLine).min(1),
    total: minorUnits,
    currency,
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
