// Shipping's reactions to order events: a confirmed order gets a shipment to book (or fails at once without an address); a cancelled one never ships.
import { createEvent, type EventData, type IntegrationEvent } from '../../platform/events/catalog.js';
import { NotReadyError } from '../../platform/messaging/errors.js';
import type { HandlerContext, Reactions } from '../../platform/messaging/event-handler.js';
import { addToOutbox } from '../../platform/messaging/inbox-outbox.js';
import type { Journal } from '../../platform/observability/journal.js';
import { injectTraceContext } from '../../platform/observability/tracing.js';
import type { Queryable } from '../../platform/store/database.js';
import { SHIPPING_SCHEMA, createShippingStore, type FailureReason, type ShipmentRow } from './store.js';

/** shipment.failed names a carrier; an order without an address never reached one. */
export const NO_CARRIER = 'none';

/** One event of each type per order: a redelivered or re-handled order can only ever produce the same ids. */
export const shipmentEventId = (orderId: string, type: 'shipment.dispatched' | 'shipment.delivered' | 'shipment.failed') => `${orderId}:${type}`;

const origin = (shipment: Pick<ShipmentRow, 'order_id' | 'correlation_id' | 'causation_id'>, type: Parameters<typeof shipmentEventId>[1]) => ({
  eventId: shipmentEventId(shipment.order_id, type),
  orderId: shipment.order_id,
  correlationId: shipment.correlation_id,
  causationId: shipment.causation_id,
});

export function shipmentDispatchedEvent(shipment: ShipmentRow, data: Omit<EventData<'shipment.dispatched'>, 'orderId' | 'customerId'>) {
  return createEvent('shipment.dispatched', { orderId: shipment.order_id, customerId: shipment.customer_id, ...data }, origin(shipment, 'shipment.dispatched'));
}

export function shipmentDeliveredEvent(shipment: ShipmentRow, data: Omit<EventData<'shipment.delivered'>, 'orderId' | 'customerId'>) {
  return createEvent('shipment.delivered', { orderId: shipment.order_id, customerId: shipment.customer_id, ...data }, origin(shipment, 'shipment.delivered'));
}

export function shipmentFailedEvent(
  shipment: Pick<ShipmentRow, 'order_id' | 'customer_id' | 'correlation_id' | 'causation_id'>,
  failure: { reason: FailureReason; message: string; carrier: string },
) {
  return createEvent('shipment.failed', { orderId: shipment.order_id, customerId: shipment.customer_id, ...failure }, origin(shipment, 'shipment.failed'));
}

export interface ShippingReactionsOptions {
  journal: Journal;
}

/** What shipping does for each order event; its queue is bound to exactly these types. */
export function shippingReactions({ journal }: ShippingReactionsOptions): Reactions<[tx: Queryable, context: HandlerContext]> {
  return {
    'order.confirmed': async (event: IntegrationEvent<'order.confirmed'>, tx, { log }) => {
      const store = createShippingStore(tx);
      const { orderId, customerId, lines, shippingAddress } = event.data;
      const causation = { correlationId: event.correlationId, causationId: event.eventId };
      if (!shippingAddress) {
        // Confirmed before orders carried an address: nothing to put on a label, so an operator has to step in.
        const failure = { reason: 'ADDRESS_MISSING' as const, message: 'order.confirmed carried no shipping address (the order was confirmed before shipping existed)', carrier: NO_CARRIER };
        const recorded = await store.insertShipment({ orderId, customerId, status: 'FAILED', failure, ...causation });
        if (!recorded) return sameOrderAgain(tx, journal, orderId, log);
        await addToOutbox(tx, SHIPPING_SCHEMA, shipmentFailedEvent(recorded, failure));
        await journal.recordInTransaction(tx, { orderId, kind: 'shipment-failed', name: failure.reason, detail: { message: failure.message } });
        log.warn({ orderId }, 'confirmed order has no shipping address; shipment.failed emitted');
        return;
      }
      // The address is kept from here (the only event that carries it) until the parcel is delivered, refused or cancelled.
      const recorded = await store.insertShipment({
        orderId, customerId, status: 'TO_BOOK', address: shippingAddress, lines, ...causation, traceContext: injectTraceContext(),
      });
      if (!recorded) return sameOrderAgain(tx, journal, orderId, log);
      log.info({ orderId }, 'shipment to book recorded');
    },

    'order.cancelled': async (event: IntegrationEvent<'order.cancelled'>, tx, { log }) => {
      const store = createShippingStore(tx);
      const { orderId, customerId } = event.data;
      // Remembered even when nothing was to ship yet: an order.confirmed that overtook or follows it must find it.
      const recorded = await store.insertShipment({ orderId, customerId, status: 'CANCELLED', correlationId: event.correlationId, causationId: event.eventId });
      if (recorded) {
        log.info({ orderId }, 'order cancelled before any shipment; it will never ship');
        return;
      }
      const existing = (await store.lockShipment(orderId))!;
      // The carrier is being asked right now: retried (with back-off) until that booking's outcome is recorded, so the
      // cancel either stops a shipment that did not leave or is reported as too late, never lost in between.
      if (existing.status === 'TO_BOOK' && (await store.bookingInFlight(orderId))) {
        throw new NotReadyError(`a booking for order ${orderId} is in flight; the cancel waits for its outcome`);
      }
      if (await store.cancelUnbooked(orderId)) {
        await journal.recordInTransaction(tx, { orderId, kind: 'shipment-cancelled', name: 'order.cancelled', detail: { before: 'booking' } });
        log.warn({ orderId }, 'order cancelled after its confirmation; the shipment will not be booked');
      } else if (existing.status !== 'CANCELLED') {
        await journal.recordInTransaction(tx, { orderId, kind: 'shipment-cancel-too-late', name: 'order.cancelled', detail: { status: existing.status } });
        log.error({ orderId, status: existing.status }, 'order cancelled after its shipment left: an operator must recall it');
      }
    },
  };
}

/** The order already has a shipment record: a second confirmation (another event id) or a cancellation came first. */
async function sameOrderAgain(tx: Queryable, journal: Journal, orderId: string, log: HandlerContext['log']): Promise<void> {
  const existing = await createShippingStore(tx).lockShipment(orderId);
  if (existing?.status === 'CANCELLED') {
    await journal.recordInTransaction(tx, { orderId, kind: 'shipment-skipped', name: 'order.confirmed', detail: { reason: 'the order was cancelled' } });
    log.warn({ orderId }, 'order.confirmed for a cancelled order; it will never ship');
  } else {
    log.info({ orderId, status: existing?.status }, 'shipment already recorded; ignored');
  }
}
