// The order view's core: each event reduced to the facts the view needs, and an order's row as a pure fold of its facts.
import type { EventType, IntegrationEvent } from '../../platform/events/catalog.js';
import type { OrderStatus } from '../../workflows/contract.js';

/** The event types the view is built from; its queue and its history stream are bound to exactly these. */
export const viewEventTypes = [
  'order.placed',
  'order.rejected',
  'order.paid',
  'order.payment-declined',
  'order.confirmed',
  'order.cancelled',
  'inventory.reserved',
  'inventory.rejected',
  'shipment.dispatched',
  'shipment.delivered',
  'shipment.failed',
] as const satisfies readonly EventType[];
export type ViewEventType = (typeof viewEventTypes)[number];

export const isViewEventType = (type: string): type is ViewEventType => (viewEventTypes as readonly string[]).includes(type);

/**
 * Where each event stands in an order's story. The fold sorts by it (then by time, then by id), so the row never depends
 * on the order in which retries and redeliveries brought the events.
 */
export const storyRank: Record<ViewEventType, number> = {
  'order.placed': 1,
  'order.rejected': 1,
  'order.paid': 2,
  'order.payment-declined': 2,
  'inventory.reserved': 3,
  'inventory.rejected': 3,
  'order.confirmed': 4,
  'order.cancelled': 4,
  'shipment.dispatched': 5,
  'shipment.delivered': 6,
  'shipment.failed': 6,
};

export interface FactLine {
  sku: string;
  /** Absent on orders placed before order.placed named its lines. */
  name?: string;
  quantity: number;
  unitPrice: number;
}

/** What the view keeps of each event: no email, no address, no payment token; the customer id only. */
export type FactData =
  | { customerId: string; lines: FactLine[]; total: number; currency: string; createdAt?: string }
  | { customerId: string; createdAt: string }
  | { reason: string }
  | { carrier: string; trackingNumber?: string }
  | Record<string, never>;

export interface OrderFact {
  orderId: string;
  eventId: string;
  type: ViewEventType;
  /** When the producer says it happened (ISO); the fold's tie-breaker and the row's freshness. */
  occurredAt: string;
  data: FactData;
}

/** The minimal facts of one event the view consumes. */
export function factOf(event: IntegrationEvent): OrderFact | undefined {
  const base = { eventId: event.eventId, occurredAt: event.occurredAt };
  switch (event.type) {
    case 'order.placed': {
      const { orderId, customerId, lines, total, currency, createdAt } = event.data;
      const factLines = lines.map(({ sku, name, quantity, unitPrice }) => ({ sku, ...(name === undefined ? {} : { name }), quantity, unitPrice }));
      return { ...base, orderId, type: event.type, data: { customerId, lines: factLines, total, currency, ...(createdAt === undefined ? {} : { createdAt }) } };
    }
    case 'order.rejected':
      return { ...base, orderId: event.data.orderId, type: event.type, data: { customerId: event.data.customerId, createdAt: event.data.createdAt } };
    case 'order.payment-declined':
    case 'order.cancelled':
      return { ...base, orderId: event.data.orderId, type: event.type, data: { reason: event.data.reason } };
    case 'order.paid':
    case 'order.confirmed':
    case 'inventory.reserved':
    case 'inventory.rejected':
      return { ...base, orderId: event.data.orderId, type: event.type, data: {} };
    case 'shipment.dispatched':
    case 'shipment.delivered':
      return { ...base, orderId: event.data.orderId, type: event.type, data: { carrier: event.data.carrier, trackingNumber: event.data.trackingNumber } };
    case 'shipment.failed':
      return { ...base, orderId: event.data.orderId, type: event.type, data: { carrier: event.data.carrier, reason: event.data.reason } as FactData };
    default:
      return undefined;
  }
}

export type ShipmentStatus = 'NONE' | 'PENDING' | 'DISPATCHED' | 'DELIVERED' | 'FAILED';

/** One order as the view answers it (before the read-time watchdog flag). */
export interface OrderRow {
  orderId: string;
  status: OrderStatus;
  reason?: string;
  customerId: string;
  lines: { sku: string; name: string; quantity: number; unitPrice: number; lineTotal: number }[];
  total: number;
  currency: string;
  payment: { status: string };
  inventory: { status: string; awaitingSince?: string; answeredAt?: string };
  shipment: { status: ShipmentStatus; carrier: string | null; trackingNumber: string | null };
  createdAt: string;
  /** When the order last changed status. */
  updatedAt: string;
  /** When the latest event folded in happened: how fresh this answer is. */
  asOf: string;
}

const byStory = (a: OrderFact, b: OrderFact) =>
  storyRank[a.type] - storyRank[b.type] || a.occurredAt.localeCompare(b.occurredAt) || a.eventId.localeCompare(b.eventId);

/**
 * The order's row from its facts, whatever order they came in and however often. Undefined until its first fact
 * (placed or rejected) is in: the lines, prices and owner come from it, and the API answers from its own record meanwhile.
 */
export function foldOrder(facts: readonly OrderFact[]): OrderRow | undefined {
  const unique = [...new Map(facts.map((fact) => [fact.eventId, fact])).values()].sort(byStory);
  const origin = unique.find((fact) => fact.type === 'order.placed' || fact.type === 'order.rejected');
  if (!origin) return undefined;
  const has = (type: ViewEventType) => unique.some((fact) => fact.type === type);

  const placed = origin.type === 'order.placed' ? (origin.data as Extract<FactData, { lines: FactLine[] }>) : undefined;
  const createdAt = (origin.data as { createdAt?: string }).createdAt ?? origin.occurredAt;
  const row: OrderRow = {
    orderId: origin.orderId,
    status: placed ? 'CART_VERIFIED' : 'REJECTED',
    ...(placed ? {} : { reason: 'CART_INVALID' }),
    customerId: (origin.data as { customerId: string }).customerId,
    // Orders placed before order.placed named its lines are shown by sku: the view reads no other component's catalog.
    lines: (placed?.lines ?? []).map(({ sku, name, quantity, unitPrice }) => ({ sku, name: name ?? sku, quantity, unitPrice, lineTotal: quantity * unitPrice })),
    total: placed?.total ?? 0,
    currency: placed?.currency ?? 'USD',
    payment: { status: 'PENDING' },
    inventory: { status: 'PENDING' },
    shipment: { status: 'NONE', carrier: null, trackingNumber: null },
    createdAt,
    updatedAt: createdAt,
    asOf: unique.reduce((latest, fact) => (fact.occurredAt > latest ? fact.occurredAt : latest), origin.occurredAt),
  };
  // Only the order's own first fact decides whether it was placed; a stray fact of the other origin changes nothing.
  if (!placed) return row;

  const moveTo = (fact: OrderFact, status: OrderStatus, reason?: string) => {
    row.status = status;
    if (reason !== undefined) row.reason = reason;
    row.updatedAt = fact.occurredAt;
  };
  const answered = (fact: OrderFact) => {
    row.inventory.answeredAt ??= fact.occurredAt;
  };

  for (const fact of unique) {
    switch (fact.type) {
      case 'order.paid':
        moveTo(fact, 'PAYMENT_AUTHORIZED');
        row.payment.status = 'AUTHORIZED';
        row.inventory = { status: 'AWAITING', awaitingSince: fact.occurredAt };
        break;
      case 'order.payment-declined':
        moveTo(fact, 'PAYMENT_DECLINED', (fact.data as { reason: string }).reason);
        row.payment.status = 'DECLINED';
        break;
      case 'inventory.reserved':
        row.inventory.status = 'RESERVED';
        answered(fact);
        break;
      case 'inventory.rejected':
        row.inventory.status = 'REJECTED';
        answered(fact);
        break;
      case 'order.confirmed':
        moveTo(fact, 'CONFIRMED');
        row.payment.status = 'CAPTURED';
        row.inventory.status = 'COMMITTED';
        row.shipment.status = 'PENDING';
        answered(fact);
        break;
      case 'order.cancelled': {
        const reason = (fact.data as { reason: string }).reason;
        moveTo(fact, 'CANCELLED', reason);
        row.payment.status = 'VOIDED';
        // As the workflow leaves it: a timeout says so, a refusal stays a refusal, a held reservation is released.
        if (reason === 'INVENTORY_TIMEOUT') row.inventory.status = 'TIMED_OUT';
        else if (reason === 'OUT_OF_STOCK' || has('inventory.rejected')) row.inventory.status = 'REJECTED';
        else if (has('order.paid')) row.inventory.status = 'RELEASED';
        answered(fact);
        break;
      }
      case 'shipment.dispatched':
      case 'shipment.delivered':
      case 'shipment.failed': {
        const { carrier, trackingNumber } = fact.data as { carrier: string; trackingNumber?: string };
        const status = ({ 'shipment.dispatched': 'DISPATCHED', 'shipment.delivered': 'DELIVERED', 'shipment.failed': 'FAILED' } as const)[fact.type];
        row.shipment = { status, carrier, trackingNumber: trackingNumber ?? row.shipment.trackingNumber };
        break;
      }
      default:
        break;
    }
  }
  return row;
}

/**
 * The watchdog's flag, computed when read: the order waited on inventory longer than `slowAfterMs` (until its answer,
 * or until now while it still waits). Like the workflow's flag, it stays a fact of the order's story once set.
 */
export function isInventorySlow(row: OrderRow, slowAfterMs: number, now: Date): boolean {
  const since = row.inventory.awaitingSince;
  if (since === undefined) return false;
  const until = row.inventory.answeredAt === undefined ? now.getTime() : Date.parse(row.inventory.answeredAt);
  return until - Date.parse(since) > slowAfterMs;
}
