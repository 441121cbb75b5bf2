// Shipping's store: one shipment per order, from "to book" through dispatched to delivered (or failed, or never, when cancelled).
import type { EventData } from '../../platform/events/catalog.js';
import { eventHandlingMigrations } from '../../platform/messaging/inbox-outbox.js';
import type { TraceCarrier } from '../../platform/observability/tracing.js';
import type { Queryable } from '../../platform/store/database.js';
import type { Migration } from '../../platform/store/migrations.js';

export const SHIPPING_SCHEMA = 'shipping';
const schema = SHIPPING_SCHEMA;

/**
 * TO_BOOK: confirmed, the carrier not yet asked (or failing for a while); DISPATCHED: booked, in the carrier's hands;
 * DELIVERED: the carrier says so; FAILED: the carrier refused it or there is no address (an operator's case);
 * CANCELLED: the order was cancelled, so it never ships.
 */
export const shipmentStatuses = ['TO_BOOK', 'DISPATCHED', 'DELIVERED', 'FAILED', 'CANCELLED'] as const;
export type ShipmentStatus = (typeof shipmentStatuses)[number];
export type FailureReason = 'ADDRESS_REFUSED' | 'ADDRESS_MISSING';

export const shippingMigrations: Migration[] = [
  ...eventHandlingMigrations,
  {
    id: '001_shipments',
    sql: `
      CREATE TABLE IF NOT EXISTS {schema}.shipments (
        order_id text PRIMARY KEY,
        customer_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('TO_BOOK', 'DISPATCHED', 'DELIVERED', 'FAILED', 'CANCELLED')),
        -- For the label only: kept while the parcel may still need booking, erased once it is delivered, failed or cancelled.
        address jsonb,
        lines jsonb,
        carrier text,
        carrier_shipment_id text,
        tracking_number text,
        tracking_url text,
        failure_reason text CHECK (failure_reason IN ('ADDRESS_REFUSED', 'ADDRESS_MISSING')),
        failure_message text,
        -- Booking attempts; the carrier's idempotency key (the order id) makes each one safe to repeat.
        attempts integer NOT NULL DEFAULT 0,
        -- When the loop next looks at it: the next booking attempt, the next tracking poll, or the end of a claim's lease.
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        -- Set while a booking is in flight (until its outcome is recorded, or the lease lapses after a crash): a cancel waits for it.
        booking_until timestamptz,
        last_error text,
        -- The order.confirmed that asked for the shipment: what the events emitted later are correlated with and caused by.
        correlation_id text NOT NULL,
        causation_id text NOT NULL,
        trace_context jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz,
        delivered_at timestamptz
      );
      CREATE INDEX IF NOT EXISTS shipments_due ON {schema}.shipments (next_attempt_at) WHERE status IN ('TO_BOOK', 'DISPATCHED');
    `,
  },
];

/** The address as order.confirmed carries it: the event catalog is its one definition. */
export type ShippingAddress = NonNullable<EventData<'order.confirmed'>['shippingAddress']>;

export interface ShipmentRow {
  order_id: string;
  customer_id: string;
  status: ShipmentStatus;
  address: ShippingAddress | null;
  lines: { sku: string; quantity: number }[] | null;
  carrier: string | null;
  carrier_shipment_id: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  failure_reason: FailureReason | null;
  failure_message: string | null;
  attempts: number;
  last_error: string | null;
  correlation_id: string;
  causation_id: string;
  trace_context: TraceCarrier | null;
  created_at: Date | string;
  dispatched_at: Date | string | null;
  delivered_at: Date | string | null;
}

const columns = `order_id, customer_id, status, address, lines, carrier, carrier_shipment_id, tracking_number, tracking_url, failure_reason,
  failure_message, attempts, last_error, correlation_id, causation_id, trace_context, created_at, dispatched_at, delivered_at`;

/** PGlite hands jsonb back parsed, pg too; a text column would not be, so both forms are accepted. */
const parsed = (row: ShipmentRow): ShipmentRow => ({
  ...row,
  address: typeof row.address === 'string' ? (JSON.parse(row.address) as ShippingAddress) : row.address,
  lines: typeof row.lines === 'string' ? (JSON.parse(row.lines) as ShipmentRow['lines']) : row.lines,
  trace_context: typeof row.trace_context === 'string' ? (JSON.parse(row.trace_context) as TraceCarrier) : row.trace_context,
});

export interface NewShipment {
  orderId: string;
  customerId: string;
  status: Extract<ShipmentStatus, 'TO_BOOK' | 'FAILED' | 'CANCELLED'>;
  address?: ShippingAddress;
  lines?: { sku: string; quantity: number }[];
  failure?: { reason: FailureReason; message: string };
  correlationId: string;
  causationId: string;
  traceContext?: TraceCarrier;
}

/** Shipping's queries over any Queryable: the database, or the transaction an event is handled in. */
export function createShippingStore(q: Queryable) {
  return {
    /** Records the order's shipment; undefined when the order already has one (or its cancellation): it is then locked for the caller. */
    async insertShipment(shipment: NewShipment): Promise<ShipmentRow | undefined> {
      const { rows } = await q.query<ShipmentRow>(
        `INSERT INTO ${schema}.shipments (order_id, customer_id, status, address, lines, failure_reason, failure_message, correlation_id, causation_id, trace_context)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9, $10::jsonb)
         ON CONFLICT (order_id) DO NOTHING
         RETURNING ${columns}`,
        [
          shipment.orderId,
          shipment.customerId,
          shipment.status,
          shipment.address ? JSON.stringify(shipment.address) : null,
          shipment.lines ? JSON.stringify(shipment.lines) : null,
          shipment.failure?.reason ?? null,
          shipment.failure?.message ?? null,
          shipment.correlationId,
          shipment.causationId,
          shipment.traceContext && Object.keys(shipment.traceContext).length > 0 ? JSON.stringify(shipment.traceContext) : null,
        ],
      );
      return rows[0] && parsed(rows[0]);
    },

    /** The order's shipment, locked until the transaction ends. */
    async lockShipment(orderId: string): Promise<ShipmentRow | undefined> {
      const { rows } = await q.query<ShipmentRow>(`SELECT ${columns} FROM ${schema}.shipments WHERE order_id = $1 FOR UPDATE`, [orderId]);
      return rows[0] && parsed(rows[0]);
    },

    async findShipment(orderId: string): Promise<ShipmentRow | undefined> {
      const { rows } = await q.query<ShipmentRow>(`SELECT ${columns} FROM ${schema}.shipments WHERE order_id = $1`, [orderId]);
      return rows[0] && parsed(rows[0]);
    },

    /** True while the carrier is being asked to book it: whether it will have left is not known yet. */
    async bookingInFlight(orderId: string): Promise<boolean> {
      const { rows } = await q.query<{ in_flight: boolean }>(
        `SELECT booking_until IS NOT NULL AND booking_until > now() AS in_flight FROM ${schema}.shipments WHERE order_id = $1`,
        [orderId],
      );
      return rows[0]?.in_flight === true;
    },

    /** A shipment not yet booked will never be: the order was cancelled. False when it was past that point. */
    async cancelUnbooked(orderId: string): Promise<boolean> {
      const result = await q.query(
        `UPDATE ${schema}.shipments SET status = 'CANCELLED', address = NULL WHERE order_id = $1 AND status = 'TO_BOOK'`,
        [orderId],
      );
      return result.rowCount === 1;
    },

    /**
     * Claims due shipments (to book, or to ask the carrier about) for one round of the loop. The lease (next_attempt_at
     * pushed ahead) keeps other instances off them while the carrier is called outside any transaction; a crash in
     * between means another try after the lease, with the same idempotency key.
     */
    async claimDue(limit: number, leaseMs: number): Promise<ShipmentRow[]> {
      const { rows } = await q.query<ShipmentRow>(
        `UPDATE ${schema}.shipments
            SET attempts = attempts + CASE WHEN status = 'TO_BOOK' THEN 1 ELSE 0 END,
                next_attempt_at = now() + make_interval(secs => $2::double precision / 1000),
                booking_until = CASE WHEN status = 'TO_BOOK' THEN now() + make_interval(secs => $2::double precision / 1000) END
          WHERE order_id IN (
            SELECT order_id FROM ${schema}.shipments
             WHERE status IN ('TO_BOOK', 'DISPATCHED') AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING ${columns}`,
        [limit, leaseMs],
      );
      return rows.map(parsed);
    },

    /** Booked: false when the shipment was no longer waiting for it (handled by another instance meanwhile). */
    async markDispatched(
      orderId: string,
      booking: { carrier: string; shipmentId: string; trackingNumber: string; trackingUrl: string },
      nextCheckInMs: number,
    ): Promise<boolean> {
      const result = await q.query(
        `UPDATE ${schema}.shipments
            SET status = 'DISPATCHED', carrier = $2, carrier_shipment_id = $3, tracking_number = $4, tracking_url = $5, last_error = NULL, booking_until = NULL,
                dispatched_at = now(), next_attempt_at = now() + make_interval(secs => $6::double precision / 1000)
          WHERE order_id = $1 AND status = 'TO_BOOK'`,
        [orderId, booking.carrier, booking.shipmentId, booking.trackingNumber, booking.trackingUrl, nextCheckInMs],
      );
      return result.rowCount === 1;
    },

    /** Refused by the carrier: nothing more to book, so the address goes. */
    async markFailed(orderId: string, failure: { reason: FailureReason; message: string; carrier: string }): Promise<boolean> {
      const result = await q.query(
        `UPDATE ${schema}.shipments
            SET status = 'FAILED', failure_reason = $2, failure_message = $3, carrier = $4, address = NULL, last_error = NULL, booking_until = NULL
          WHERE order_id = $1 AND status = 'TO_BOOK'`,
        [orderId, failure.reason, failure.message, failure.carrier],
      );
      return result.rowCount === 1;
    },

    /** Delivered: the label's work is done, so the address goes too. */
    async markDelivered(orderId: string, deliveredAt: Date): Promise<boolean> {
      const result = await q.query(
        `UPDATE ${schema}.shipments SET status = 'DELIVERED', delivered_at = $2, address = NULL, last_error = NULL
          WHERE order_id = $1 AND status = 'DISPATCHED'`,
        [orderId, deliveredAt.toISOString()],
      );
      return result.rowCount === 1;
    },

    /** Still on its way: the carrier is asked again after the delay. */
    async checkAgainIn(orderId: string, delayMs: number): Promise<void> {
      await q.query(`UPDATE ${schema}.shipments SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000) WHERE order_id = $1`, [
        orderId,
        delayMs,
      ]);
    },

    /** The carrier could not be reached or did not answer well: try again after the delay. */
    async retryLater(orderId: string, error: string, delayMs: number): Promise<void> {
      await q.query(
        `UPDATE ${schema}.shipments
            SET last_error = $2, booking_until = NULL, next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
          WHERE order_id = $1`,
        [orderId, error, delayMs],
      );
    },
  };
}

export type ShippingStore = ReturnType<typeof createShippingStore>;
