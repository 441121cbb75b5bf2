// An order's events as the workflow, inventory and shipping publish them, for each end an order can come to: the order view's test material.
import { createEvent, type EventData, type EventType, type IntegrationEvent } from '../../platform/events/catalog.js';

export const storyEnds = [
  'confirmed',
  'rejected',
  'payment-declined',
  'cancelled-out-of-stock',
  'cancelled-timeout',
  'cancelled-by-customer',
  'delivered',
  'shipment-failed',
  'awaiting-inventory',
] as const;
export type StoryEnd = (typeof storyEnds)[number];

export interface StoryOptions {
  customerId?: string;
  /** When the first event happened; each later one is a second after the previous. */
  start?: Date;
  /** An order.placed as published before the order view: lines without names, no createdAt. */
  legacyPlacement?: boolean;
}

/** The events of one order, in the order they happen. Event ids are deterministic, as the producers make them. */
export function orderStory(orderId: string, end: StoryEnd, options: StoryOptions = {}): IntegrationEvent[] {
  const customerId = options.customerId ?? 'cust-story';
  const start = (options.start ?? new Date('2026-01-01T10:00:00.000Z')).getTime();
  const events: IntegrationEvent[] = [];
  const add = <T extends EventType>(type: T, data: EventData<T>, eventId = `${orderId}:${type}`) => {
    events.push(createEvent(type, data, { eventId, correlationId: `order-${orderId}`, orderId, occurredAt: new Date(start + events.length * 1000) }) as IntegrationEvent);
  };
  const createdAt = new Date(start).toISOString();
  if (end === 'rejected') {
    add('order.rejected', { orderId, customerId, issues: [{ sku: 'NOPE-1', reason: 'UNKNOWN_SKU' }], createdAt });
    return events;
  }
  const lines = [{ sku: 'MUG-LOGO', quantity: 2 }, { sku: 'TEE-BLK-M', quantity: 1 }];
  const priced = options.legacyPlacement
    ? [{ ...lines[0]!, unitPrice: 1250 }, { ...lines[1]!, unitPrice: 2000 }]
    : [{ ...lines[0]!, name: 'Logo mug', unitPrice: 1250 }, { ...lines[1]!, name: 'Black tee (M)', unitPrice: 2000 }];
  add('order.placed', {
    orderId,
    customerId,
    email: 'ada@example.com',
    lines: priced,
    total: 4500,
    currency: 'EUR',
    ...(options.legacyPlacement ? {} : { createdAt }),
  });
  if (end === 'payment-declined') {
    add('order.payment-declined', { orderId, customerId, reason: 'card declined' });
    return events;
  }
  add('order.paid', { orderId, customerId, lines, total: 4500, currency: 'EUR', authorizationId: `auth-${orderId}` });
  if (end === 'awaiting-inventory') return events;
  if (end === 'cancelled-out-of-stock') {
    add('inventory.rejected', { orderId, reason: 'OUT_OF_STOCK', shortages: [{ sku: 'MUG-LOGO', requested: 2, available: 0 }] }, `inventory:${orderId}:rejected`);
    add('order.cancelled', { orderId, customerId, lines, reason: 'OUT_OF_STOCK' });
    return events;
  }
  if (end === 'cancelled-timeout' || end === 'cancelled-by-customer') {
    add('order.cancelled', { orderId, customerId, lines, reason: end === 'cancelled-timeout' ? 'INVENTORY_TIMEOUT' : 'CUSTOMER_REQUEST' });
    return events;
  }
  add('inventory.reserved', { orderId, lines }, `inventory:${orderId}:reserved`);
  add('order.confirmed', {
    orderId,
    customerId,
    lines,
    total: 4500,
    currency: 'EUR',
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  });
  if (end === 'shipment-failed') {
    add('shipment.failed', { orderId, customerId, carrier: 'parcelpost', reason: 'ADDRESS_REFUSED', message: 'the carrier refused the address' });
    return events;
  }
  if (end === 'delivered') {
    const shipment = { orderId, customerId, shipmentId: `shp-${orderId}`, carrier: 'parcelpost', trackingNumber: 'PP123456' };
    add('shipment.dispatched', { ...shipment, trackingUrl: 'https://carrier.example/track/PP123456' });
    add('shipment.delivered', { ...shipment, deliveredAt: new Date(start + 60_000).toISOString() });
  }
  return events;
}

/** What the view should say at each end, in the fields that tell the ends apart. */
export const expectedAtEnd: Record<StoryEnd, { status: string; reason?: string; payment: string; inventory: string; shipment: string }> = {
  confirmed: { status: 'CONFIRMED', payment: 'CAPTURED', inventory: 'COMMITTED', shipment: 'PENDING' },
  rejected: { status: 'REJECTED', reason: 'CART_INVALID', payment: 'PENDING', inventory: 'PENDING', shipment: 'NONE' },
  'payment-declined': { status: 'PAYMENT_DECLINED', reason: 'card declined', payment: 'DECLINED', inventory: 'PENDING', shipment: 'NONE' },
  'cancelled-out-of-stock': { status: 'CANCELLED', reason: 'OUT_OF_STOCK', payment: 'VOIDED', inventory: 'REJECTED', shipment: 'NONE' },
  'cancelled-timeout': { status: 'CANCELLED', reason: 'INVENTORY_TIMEOUT', payment: 'VOIDED', inventory: 'TIMED_OUT', shipment: 'NONE' },
  'cancelled-by-customer': { status: 'CANCELLED', reason: 'CUSTOMER_REQUEST', payment: 'VOIDED', inventory: 'RELEASED', shipment: 'NONE' },
  delivered: { status: 'CONFIRMED', payment: 'CAPTURED', inventory: 'COMMITTED', shipment: 'DELIVERED' },
  'shipment-failed': { status: 'CONFIRMED', payment: 'CAPTURED', inventory: 'COMMITTED', shipment: 'FAILED' },
  'awaiting-inventory': { status: 'PAYMENT_AUTHORIZED', payment: 'AUTHORIZED', inventory: 'AWAITING', shipment: 'NONE' },
};
