// The carrier stand-in's store: shipments and idempotency keys in schema `carrier`, and the test behaviours chosen by the address.
import { randomBytes, randomInt } from 'node:crypto';
import { errorBody } from '../platform/http/errors.js';
import type { Database, Queryable } from '../platform/store/database.js';
import type { Migration } from '../platform/store/migrations.js';

export const CARRIER_SCHEMA = 'carrier';
/** The name on every label this stand-in prints. */
export const CARRIER_NAME = 'Swiftpost';

export const carrierMigrations: Migration[] = [
  {
    id: '001_shipments',
    sql: `
      CREATE TABLE {schema}.shipments (
        id text PRIMARY KEY,
        -- One shipment per Idempotency-Key, enforced by the database rather than by the request handler.
        idempotency_key text NOT NULL UNIQUE,
        order_id text NOT NULL,
        carrier text NOT NULL,
        tracking_number text NOT NULL UNIQUE,
        -- The carrier's own copy: it prints the label.
        address jsonb NOT NULL,
        lines jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- The stand-in's whole delivery network: the parcel counts as delivered from this moment on.
        deliver_at timestamptz NOT NULL
      );
      CREATE INDEX shipments_order_id ON {schema}.shipments (order_id, created_at);
      CREATE TABLE {schema}.idempotency_keys (
        key text PRIMARY KEY,
        -- Hash of the request, so the same key with another body is refused instead of replayed.
        fingerprint text NOT NULL,
        -- Requests seen with this key that did not yet produce a final answer (drives the FLAKY postal code).
        attempts integer NOT NULL DEFAULT 0,
        status_code integer,
        -- Text rather than jsonb so a replay is byte-for-byte the first answer (jsonb reorders keys).
        response text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

/**
 * Test behaviours, chosen by the address's postal code (as the payment stand-in's by card token): any other code is
 * accepted at once.
 */
export const testPostalCodes = {
  /** Accepted, but the answer comes after SLOW_ANSWER_MS. */
  slow: 'SLOW',
  /** 503 for the first FLAKY_FAILURES_PER_KEY requests of each Idempotency-Key, then accepted. */
  flaky: 'FLAKY',
  /** Refused for good: 422 address_refused with the carrier's reason. */
  refused: 'REFUSED',
} as const;
export const SLOW_ANSWER_MS = 2_000;
const FLAKY_FAILURES_PER_KEY = 2;

export interface ShipmentAddress {
  name: string;
  line1: string;
  line2?: string | undefined;
  city: string;
  postalCode: string;
  country: string;
}

export interface ShipmentRequest {
  orderId: string;
  address: ShipmentAddress;
  lines: { sku: string; quantity: number }[];
}

export type ShipmentStatus = 'IN_TRANSIT' | 'DELIVERED';

/** A shipment as the carrier's API shows it to its customer (the shipper): no address, which the shipper already has. */
export interface ShipmentView {
  id: string;
  orderId: string;
  carrier: string;
  trackingNumber: string;
  trackingUrl: string;
  status: ShipmentStatus;
  createdAt: string;
  deliveredAt: string | null;
}

interface ShipmentRow {
  id: string;
  order_id: string;
  carrier: string;
  tracking_number: string;
  created_at: Date | string;
  deliver_at: Date | string;
}

const iso = (value: Date | string) => new Date(value).toISOString();

/** An HTTP answer of the carrier: status code and JSON body. */
export interface CarrierResponse {
  status: number;
  body: unknown;
}

interface Outcome extends CarrierResponse {
  /** Final answers are stored and replayed for the key; transient ones (FLAKY's 503) let a retry run again. */
  final: boolean;
}

const newShipmentId = () => `shp_${randomBytes(12).toString('hex')}`;
const newTrackingNumber = () => `SW${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e3)).padStart(3, '0')}`;

export interface CarrierStore {
  /** Books a shipment at most once per key; the same key answers as the first time did. */
  book(key: string, fingerprint: string, request: ShipmentRequest): Promise<CarrierResponse>;
  get(id: string): Promise<ShipmentView | undefined>;
  findByTrackingNumber(trackingNumber: string): Promise<ShipmentView | undefined>;
  findByOrder(orderId: string): Promise<ShipmentView[]>;
}

export function createCarrierStore(db: Database, options: { deliveryDelayMs: number; trackingUrl: (trackingNumber: string) => string }): CarrierStore {
  const toView = (row: ShipmentRow): ShipmentView => {
    // Delivered is a matter of time here: no courier, just the moment the parcel arrives.
    const delivered = new Date(row.deliver_at).getTime() <= Date.now();
    return {
      id: row.id,
      orderId: row.order_id,
      carrier: row.carrier,
      trackingNumber: row.tracking_number,
      trackingUrl: options.trackingUrl(row.tracking_number),
      status: delivered ? 'DELIVERED' : 'IN_TRANSIT',
      createdAt: iso(row.created_at),
      deliveredAt: delivered ? iso(row.deliver_at) : null,
    };
  };

  const decide = async (tx: Queryable, key: string, request: ShipmentRequest, previousAttempts: number): Promise<Outcome> => {
    const postalCode = request.address.postalCode.trim().toUpperCase();
    if (postalCode === testPostalCodes.refused) {
      return {
        status: 422,
        body: errorBody('address_refused', `${CARRIER_NAME} does not deliver to postal code ${request.address.postalCode} in ${request.address.country}.`, {
          carrier: CARRIER_NAME,
        }),
        final: true,
      };
    }
    if (postalCode === testPostalCodes.flaky && previousAttempts < FLAKY_FAILURES_PER_KEY) {
      return { status: 503, body: errorBody('carrier_unavailable', 'The booking system did not answer; retry with the same Idempotency-Key.'), final: false };
    }
    const { rows } = await tx.query<ShipmentRow>(
      `INSERT INTO ${CARRIER_SCHEMA}.shipments (id, idempotency_key, order_id, carrier, tracking_number, address, lines, deliver_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, now() + make_interval(secs => $8::double precision / 1000))
       RETURNING id, order_id, carrier, tracking_number, created_at, deliver_at`,
      [newShipmentId(), key, request.orderId, CARRIER_NAME, newTrackingNumber(), JSON.stringify(request.address), JSON.stringify(request.lines), options.deliveryDelayMs],
    );
    return { status: 201, body: toView(rows[0]!), final: true };
  };

  const columns = 'id, order_id, carrier, tracking_number, created_at, deliver_at';
  return {
    book: (key, fingerprint, request) =>
      db.transaction(async (tx) => {
        // Inserted then locked: a concurrent request with the same key waits for the first to commit, then replays its answer.
        await tx.query(`INSERT INTO ${CARRIER_SCHEMA}.idempotency_keys (key, fingerprint) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [key, fingerprint]);
        const { rows } = await tx.query<{ fingerprint: string; attempts: number; status_code: number | null; response: string | null }>(
          `SELECT fingerprint, attempts, status_code, response FROM ${CARRIER_SCHEMA}.idempotency_keys WHERE key = $1 FOR UPDATE`,
          [key],
        );
        const stored = rows[0]!;
        if (stored.fingerprint !== fingerprint) {
          return { status: 409, body: errorBody('idempotency_key_reused', 'this Idempotency-Key was already used with a different request', { idempotencyKey: key }) };
        }
        if (stored.status_code !== null) return { status: stored.status_code, body: JSON.parse(stored.response ?? 'null') as unknown };
        const outcome = await decide(tx, key, request, stored.attempts);
        await tx.query(`UPDATE ${CARRIER_SCHEMA}.idempotency_keys SET attempts = attempts + 1, status_code = $2, response = $3 WHERE key = $1`, [
          key,
          outcome.final ? outcome.status : null,
          outcome.final ? JSON.stringify(outcome.body) : null,
        ]);
        return { status: outcome.status, body: outcome.body };
      }),

    async get(id) {
      const { rows } = await db.query<ShipmentRow>(`SELECT ${columns} FROM ${CARRIER_SCHEMA}.shipments WHERE id = $1`, [id]);
      return rows[0] && toView(rows[0]);
    },

    async findByTrackingNumber(trackingNumber) {
      const { rows } = await db.query<ShipmentRow>(`SELECT ${columns} FROM ${CARRIER_SCHEMA}.shipments WHERE tracking_number = $1`, [trackingNumber]);
      return rows[0] && toView(rows[0]);
    },

    async findByOrder(orderId) {
      const { rows } = await db.query<ShipmentRow>(`SELECT ${columns} FROM ${CARRIER_SCHEMA}.shipments WHERE order_id = $1 ORDER BY created_at, id`, [orderId]);
      return rows.map(toView);
    },
  };
}
