// Inventory's reactions to order events: reserve on payment, commit on confirmation, release on cancellation, re-emit the catalog on request.
import { createHash } from 'node:crypto';
import { createEvent, type EventData, type IntegrationEvent } from '../../platform/events/catalog.js';
import type { Logger } from '../../platform/logger.js';
import { NotReadyError, PoisonMessageError } from '../../platform/messaging/errors.js';
import type { HandlerContext, Reactions } from '../../platform/messaging/event-handler.js';
import { addToOutbox } from '../../platform/messaging/inbox-outbox.js';
import type { Queryable } from '../../platform/store/database.js';
import {
  INVENTORY_SCHEMA,
  availableOf,
  catalogFacts,
  createInventoryStore,
  shortagesOf,
  type ProductRow,
  type Shortage,
} from './store.js';

const MAX_EVENT_ID_LENGTH = 200;

/** An outgoing id derived from the incoming one, so a redelivered event can only ever produce the same outgoing events. */
export function derivedEventId(...parts: string[]): string {
  const id = parts.join(':');
  return id.length <= MAX_EVENT_ID_LENGTH ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

export interface Causation {
  correlationId: string;
  causationId: string;
}

const causedBy = (event: IntegrationEvent): Causation => ({ correlationId: event.correlationId, causationId: event.eventId });

/** The catalog fact a replica needs; its id names the revision, so the same revision is published once. */
export function productUpdatedEvent(product: ProductRow, causation: Causation, eventId = `catalog:${product.sku}:${product.revision}`) {
  return createEvent('catalog.product-updated', catalogFacts(product), { eventId, ...causation });
}

const outbox = (tx: Queryable, event: IntegrationEvent) => addToOutbox(tx, INVENTORY_SCHEMA, event);

/** Two lines for the same sku are one request for their sum; sorted by sku, the lock order. */
function mergeLines(lines: readonly { sku: string; quantity: number }[]) {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.sku, (totals.get(line.sku) ?? 0) + line.quantity);
  return [...totals].map(([sku, quantity]) => ({ sku, quantity })).sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

/** What inventory decided for an order's lines; told by an event (the reactions below) or in a call's answer (calls.ts). */
export type ReservationDecision =
  | { outcome: 'RESERVED'; lines: { sku: string; quantity: number }[] }
  | { outcome: 'REJECTED'; shortages: Shortage[] }
  /** The order was cancelled before its payment reached inventory: nothing is reserved, now or later. */
  | { outcome: 'CANCELLED' };

/**
 * All lines or none: a partially reserved order would hold stock nobody can buy. An order decided before (the same
 * order paid again, or asked again after a retry) gets the same answer instead of a second reservation.
 */
export async function reserveStock(tx: Queryable, orderId: string, requested: readonly { sku: string; quantity: number }[], causation: Causation, log: Logger): Promise<ReservationDecision> {
  const store = createInventoryStore(tx);
  await store.lockOrder(orderId);
  const previous = await store.findOrderOutcome(orderId);
  if (previous) {
    log.info({ orderId, outcome: previous.outcome }, 'order already decided; answering as before');
    if (previous.outcome === 'RESERVED') return { outcome: 'RESERVED', lines: (await store.findReservations(orderId)).map(({ sku, quantity }) => ({ sku, quantity })) };
    if (previous.outcome === 'REJECTED') return { outcome: 'REJECTED', shortages: shortagesOf(previous) };
    return { outcome: 'CANCELLED' };
  }

  const lines = mergeLines(requested);
  const products = new Map((await store.lockProducts(lines.map((line) => line.sku))).map((product) => [product.sku, product]));
  const shortages: Shortage[] = [];
  for (const line of lines) {
    const product = products.get(line.sku);
    // An unknown or withdrawn product has nothing to sell.
    const available = product?.active ? Math.max(0, availableOf(product)) : 0;
    if (available < line.quantity) shortages.push({ sku: line.sku, requested: line.quantity, available });
  }

  if (shortages.length > 0) {
    await store.recordOrderOutcome(orderId, 'REJECTED', shortages);
    log.info({ orderId, shortages }, 'order rejected: out of stock');
    return { outcome: 'REJECTED', shortages };
  }

  for (const line of lines) {
    await store.insertReservation(orderId, line.sku, line.quantity);
    const product = await store.adjustStock(line.sku, { onHand: 0, reserved: line.quantity, bumpRevision: true });
    // Replicas of the catalog learn the new availability by event, whoever asked for the reservation.
    await outbox(tx, productUpdatedEvent(product, causation));
  }
  await store.recordOrderOutcome(orderId, 'RESERVED');
  log.info({ orderId, lines }, 'order reserved');
  return { outcome: 'RESERVED', lines };
}

/** Reserves on payment and tells the outcome by event, under ids derived from the payment's, so a redelivery tells the same. */
async function reserveOrder(event: IntegrationEvent<'order.paid'>, tx: Queryable, { log }: HandlerContext): Promise<void> {
  const { orderId } = event.data;
  const decision = await reserveStock(tx, orderId, event.data.lines, causedBy(event), log);
  if (decision.outcome === 'RESERVED') {
    const reservedId = derivedEventId(event.eventId, 'inventory.reserved');
    await outbox(tx, createEvent('inventory.reserved', { orderId, lines: decision.lines }, { eventId: reservedId, orderId, ...causedBy(event) }));
  } else if (decision.outcome === 'REJECTED') {
    const rejectedId = derivedEventId(event.eventId, 'inventory.rejected');
    const data = { orderId, reason: 'OUT_OF_STOCK' as const, shortages: decision.shortages };
    await outbox(tx, createEvent('inventory.rejected', data, { eventId: rejectedId, orderId, ...causedBy(event) }));
  } else {
    log.warn({ orderId }, 'order paid after it was cancelled; not reserving');
  }
}

/** The goods leave the shelf: reserved units become shipped units, so availability does not change. */
export async function commitStock(tx: Queryable, orderId: string, log: Logger): Promise<void> {
  const store = createInventoryStore(tx);
  await store.lockOrder(orderId);
  const reservations = await store.findReservations(orderId);
  if (reservations.length === 0) {
    const outcome = await store.findOrderOutcome(orderId);
    // Choreography gives no ordering guarantee: the payment event may still be on its way (or retrying).
    if (!outcome) throw new NotReadyError(`order ${orderId} confirmed before inventory saw its payment`);
    throw new PoisonMessageError(`order ${orderId} confirmed although inventory decided ${outcome.outcome}`);
  }
  const held = reservations.filter((reservation) => reservation.status === 'RESERVED');
  if (held.length === 0) {
    if (reservations.every((reservation) => reservation.status === 'COMMITTED')) {
      log.info({ orderId }, 'order already committed');
      return;
    }
    throw new PoisonMessageError(`order ${orderId} confirmed after its reservation was released`);
  }
  await store.lockProducts(held.map((reservation) => reservation.sku));
  for (const reservation of held) {
    await store.adjustStock(reservation.sku, { onHand: -reservation.quantity, reserved: -reservation.quantity, bumpRevision: false });
    await store.setReservationStatus(orderId, reservation.sku, 'COMMITTED');
  }
  log.info({ orderId }, 'reservation committed');
}

/** Reserved units return to sale; a cancellation before any reservation is remembered so a late payment reserves nothing. */
async function releaseStock(tx: Queryable, orderId: string, reason: EventData<'order.cancelled'>['reason'], causation: Causation, log: Logger): Promise<void> {
  const store = createInventoryStore(tx);
  await store.lockOrder(orderId);
  const reservations = await store.findReservations(orderId);
  if (reservations.length === 0) {
    if (!(await store.findOrderOutcome(orderId))) await store.recordOrderOutcome(orderId, 'CANCELLED_BEFORE_PAYMENT');
    log.info({ orderId, reason }, 'order cancelled with nothing reserved');
    return;
  }
  const held = reservations.filter((reservation) => reservation.status === 'RESERVED');
  if (held.length === 0) {
    log.warn({ orderId, statuses: reservations.map((r) => r.status) }, 'order cancelled with nothing left to release');
    return;
  }
  await store.lockProducts(held.map((reservation) => reservation.sku));
  for (const reservation of held) {
    const product = await store.adjustStock(reservation.sku, { onHand: 0, reserved: -reservation.quantity, bumpRevision: true });
    await store.setReservationStatus(orderId, reservation.sku, 'RELEASED');
    await outbox(tx, productUpdatedEvent(product, causation));
  }
  log.info({ orderId, reason }, 'reservation released');
}

/** How an empty replica bootstraps: every product once more, under ids a replica has not seen yet when needed. */
async function emitCatalogSnapshot(event: IntegrationEvent<'catalog.snapshot-requested'>, tx: Queryable, { log }: HandlerContext): Promise<void> {
  const store = createInventoryStore(tx);
  const products = await store.listProducts();
  for (const product of products) {
    const revisionId = `catalog:${product.sku}:${product.revision}`;
    const eventId = (await store.isInOutbox(revisionId)) ? derivedEventId(event.eventId, product.sku) : revisionId;
    await outbox(tx, productUpdatedEvent(product, causedBy(event), eventId));
  }
  log.info({ requestedBy: event.data.requestedBy, products: products.length }, 'catalog snapshot emitted');
}

/**
 * Inventory's reaction to each event it consumes; its queue is bound to exactly these types. Each runs inside the
 * transaction that also claims the event in the inbox and queues what inventory emits in the outbox.
 */
export const inventoryReactions: Reactions<[tx: Queryable, context: HandlerContext]> = {
  'order.paid': reserveOrder,
  'order.confirmed': (event, tx, { log }) => commitStock(tx, event.data.orderId, log),
  'order.cancelled': (event, tx, { log }) => releaseStock(tx, event.data.orderId, event.data.reason, causedBy(event), log),
  'catalog.snapshot-requested': emitCatalogSnapshot,
};
