// Shipping's loop outside any consumer's transaction: books due shipments with the carrier (retrying with back-off), then polls them until delivered.
import { context } from '@opentelemetry/api';
import { crashPoint } from '../../platform/crash-points.js';
import { startBatchLoop, type BatchLoop } from '../../platform/batch-loop.js';
import type { Logger } from '../../platform/logger.js';
import { addToOutbox } from '../../platform/messaging/inbox-outbox.js';
import type { Journal } from '../../platform/observability/journal.js';
import { MessagingAttribute, componentTracer, extractTraceContext, inSpan } from '../../platform/observability/tracing.js';
import type { Database } from '../../platform/store/database.js';
import { CARRIER_CALL_TIMEOUT_MS, type CarrierClient } from './carrier-client.js';
import { shipmentDeliveredEvent, shipmentDispatchedEvent, shipmentFailedEvent } from './handlers.js';
import { SHIPPING_SCHEMA, createShippingStore, type ShipmentRow } from './store.js';

/** A claimed shipment is kept from other instances this long: longer than a carrier call may take. */
const CLAIM_LEASE_MS = CARRIER_CALL_TIMEOUT_MS + 5_000;
const BATCH_SIZE = 20;

export interface DispatchLoopOptions {
  db: Database;
  carrier: CarrierClient;
  journal: Journal;
  log: Logger;
  /** Wait before booking again while the carrier fails; the last value repeats, so a shipment is never dropped. */
  retryDelaysMs: readonly number[];
  /** How often a dispatched parcel's status is asked for. */
  trackingIntervalMs: number;
  pollIntervalMs: number;
  /** Called after a commit that wrote to the outbox. */
  afterCommit: () => void;
}

export function startDispatchLoop(options: DispatchLoopOptions): BatchLoop {
  const { db, carrier, journal, log, retryDelaysMs, trackingIntervalMs } = options;
  const tracer = componentTracer('shipping');

  const book = async (shipment: ShipmentRow) => {
    const orderId = shipment.order_id;
    // The order id is the idempotency key: however often this runs (retries, a crash before the commit below), one parcel.
    const result = await carrier.book({ orderId, address: shipment.address!, lines: shipment.lines! }, orderId);
    if (result.kind === 'booked') {
      // Booked at the carrier, not yet recorded here: the idempotency key and the outbox must make a crash here harmless.
      crashPoint('shipping:after-booking');
      const { shipment: booked } = result;
      const dispatched = await db.transaction(async (tx) => {
        const booking = { carrier: booked.carrier, shipmentId: booked.id, trackingNumber: booked.trackingNumber, trackingUrl: booked.trackingUrl };
        if (!(await createShippingStore(tx).markDispatched(orderId, booking, trackingIntervalMs))) return false;
        await addToOutbox(tx, SHIPPING_SCHEMA, shipmentDispatchedEvent(shipment, booking));
        await journal.recordInTransaction(tx, {
          orderId, kind: 'shipment-booked', name: 'POST /shipments', attempt: shipment.attempts, detail: { carrier: booked.carrier, trackingNumber: booked.trackingNumber },
        });
        return true;
      });
      if (dispatched) {
        log.info({ orderId, carrier: booked.carrier, trackingNumber: booked.trackingNumber, attempts: shipment.attempts }, 'shipment dispatched');
        options.afterCommit();
      } else {
        // Another instance recorded it first (same parcel, same key), or the order was cancelled while the carrier was asked.
        log.warn({ orderId, trackingNumber: booked.trackingNumber }, 'booked, but the shipment was no longer waiting to be booked');
      }
      return;
    }
    if (result.kind === 'refused') {
      const failure = { reason: 'ADDRESS_REFUSED' as const, message: result.message, carrier: result.carrier };
      const failed = await db.transaction(async (tx) => {
        if (!(await createShippingStore(tx).markFailed(orderId, failure))) return false;
        await addToOutbox(tx, SHIPPING_SCHEMA, shipmentFailedEvent(shipment, failure));
        await journal.recordInTransaction(tx, { orderId, kind: 'shipment-failed', name: failure.reason, attempt: shipment.attempts, detail: { message: failure.message } });
        return true;
      });
      if (failed) {
        // Paid and its stock committed: not something to compensate automatically, an operator decides.
        log.warn({ orderId, reason: result.message }, 'carrier refused the address; shipment.failed emitted');
        options.afterCommit();
      }
      return;
    }
    const retryInMs = retryDelaysMs[Math.min(shipment.attempts - 1, retryDelaysMs.length - 1)]!;
    await createShippingStore(db).retryLater(orderId, result.reason, retryInMs);
    await journal.record({
      orderId, kind: 'booking-failed', name: 'POST /shipments', attempt: shipment.attempts, detail: { outcome: 'retry-scheduled', reason: result.reason, retryInMs },
    });
    log.warn({ orderId, reason: result.reason, attempts: shipment.attempts, retryInMs }, 'carrier could not book the shipment; will retry');
  };

  const track = async (shipment: ShipmentRow) => {
    const orderId = shipment.order_id;
    const seen = await carrier.shipment(shipment.carrier_shipment_id!);
    if (seen.status !== 'DELIVERED' || seen.deliveredAt === null) {
      await createShippingStore(db).checkAgainIn(orderId, trackingIntervalMs);
      return;
    }
    const deliveredAt = new Date(seen.deliveredAt);
    const delivered = await db.transaction(async (tx) => {
      if (!(await createShippingStore(tx).markDelivered(orderId, deliveredAt))) return false;
      await addToOutbox(
        tx,
        SHIPPING_SCHEMA,
        shipmentDeliveredEvent(shipment, { shipmentId: seen.id, carrier: seen.carrier, trackingNumber: seen.trackingNumber, deliveredAt: deliveredAt.toISOString() }),
      );
      await journal.recordInTransaction(tx, { orderId, kind: 'shipment-delivered', name: seen.carrier, detail: { trackingNumber: seen.trackingNumber } });
      return true;
    });
    if (delivered) {
      log.info({ orderId, trackingNumber: seen.trackingNumber }, 'shipment delivered');
      options.afterCommit();
    }
  };

  const handle = async (shipment: ShipmentRow) => {
    // Work done for the order later and elsewhere still belongs to the trace of the order.confirmed that asked for it.
    const parent = extractTraceContext(shipment.trace_context);
    const name = shipment.status === 'TO_BOOK' ? 'book shipment' : 'track shipment';
    try {
      await context.with(parent, () =>
        inSpan(tracer, name, { attributes: { [MessagingAttribute.orderId]: shipment.order_id } }, () => (shipment.status === 'TO_BOOK' ? book(shipment) : track(shipment))),
      );
    } catch (error) {
      // Whatever went wrong, the claim's lease brings the shipment back after a while.
      log.warn({ err: error, orderId: shipment.order_id, status: shipment.status }, 'shipment step failed; will retry');
    }
  };

  return startBatchLoop({
    runBatch: async () => {
      const due = await db.transaction((tx) => createShippingStore(tx).claimDue(BATCH_SIZE, CLAIM_LEASE_MS));
      await Promise.all(due.map(handle));
      return due.length === BATCH_SIZE;
    },
    intervalMs: options.pollIntervalMs,
    log,
    failureMessage: 'shipping loop failed; will retry',
  });
}
