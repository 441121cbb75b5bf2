// Inventory's store: schema migrations and the queries over products, reservations and per-order outcomes.
import { eventHandlingMigrations } from '../../platform/messaging/inbox-outbox.js';
import type { Queryable } from '../../platform/store/database.js';
import type { Migration } from '../../platform/store/migrations.js';

export const INVENTORY_SCHEMA = 'inventory';
export const CATALOG_CURRENCY = 'USD';

const schema = INVENTORY_SCHEMA;

export const inventoryMigrations: Migration[] = [
  ...eventHandlingMigrations,
  {
    id: '001_products_and_reservations',
    sql: `
      CREATE TABLE IF NOT EXISTS {schema}.products (
        sku text PRIMARY KEY,
        name text NOT NULL,
        price integer NOT NULL CHECK (price >= 0),
        currency text NOT NULL DEFAULT 'USD',
        active boolean NOT NULL DEFAULT true,
        on_hand integer NOT NULL,
        reserved integer NOT NULL DEFAULT 0,
        revision integer NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stock_never_negative CHECK (reserved >= 0 AND on_hand >= reserved)
      );
      CREATE TABLE IF NOT EXISTS {schema}.reservations (
        order_id text NOT NULL,
        sku text NOT NULL REFERENCES {schema}.products (sku),
        quantity integer NOT NULL CHECK (quantity > 0),
        status text NOT NULL CHECK (status IN ('RESERVED', 'COMMITTED', 'RELEASED')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, sku)
      );
      CREATE TABLE IF NOT EXISTS {schema}.order_outcomes (
        order_id text PRIMARY KEY,
        outcome text NOT NULL CHECK (outcome IN ('RESERVED', 'REJECTED', 'CANCELLED_BEFORE_PAYMENT')),
        shortages jsonb,
        decided_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

export interface ProductRow {
  sku: string;
  name: string;
  price: number;
  currency: string;
  active: boolean;
  on_hand: number;
  reserved: number;
  revision: number;
  updated_at: Date | string;
}

export type ReservationStatus = 'RESERVED' | 'COMMITTED' | 'RELEASED';

export interface ReservationRow {
  order_id: string;
  sku: string;
  quantity: number;
  status: ReservationStatus;
}

/**
 * What inventory decided for an order. A cancellation that arrives before the order's payment event is
 * remembered too, so a late order.paid never reserves stock for an order that is already over.
 */
export type OrderOutcome = 'RESERVED' | 'REJECTED' | 'CANCELLED_BEFORE_PAYMENT';

export interface Shortage {
  sku: string;
  requested: number;
  available: number;
}

export interface OrderOutcomeRow {
  order_id: string;
  outcome: OrderOutcome;
  shortages: Shortage[] | string | null;
}

const productColumns = 'sku, name, price, currency, active, on_hand, reserved, revision, updated_at';

export const availableOf = (product: Pick<ProductRow, 'on_hand' | 'reserved'>) => product.on_hand - product.reserved;

/** The public catalog facts of a product: what catalog.product-updated carries and what the owner's surface shows. */
export const catalogFacts = (product: ProductRow) => ({
  sku: product.sku,
  name: product.name,
  price: product.price,
  currency: product.currency,
  available: Math.max(0, availableOf(product)),
  active: product.active,
  revision: product.revision,
});


export const shortagesOf = (row: OrderOutcomeRow): Shortage[] =>
  typeof row.shortages === 'string' ? (JSON.parse(row.shortages) as Shortage[]) : (row.shortages ?? []);

export interface ProductInput {
  name: string;
  price: number;
  available: number;
  active?: boolean;
}

/** Inventory's queries over any Queryable: the database, or the transaction an event is handled in. */
export function createInventoryStore(q: Queryable) {
  return {
    /** Serializes all work on one order (two deliveries of its events under different ids), without locking anything else. */
    async lockOrder(orderId: string): Promise<void> {
      await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`inventory:order:${orderId}`]);
    },

    /** Locks the products in sku order, the one order every transaction uses, so concurrent orders cannot deadlock. */
    async lockProducts(skus: readonly string[]): Promise<ProductRow[]> {
      const { rows } = await q.query<ProductRow>(
        `SELECT ${productColumns} FROM ${schema}.products WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
        [[...skus]],
      );
      return rows;
    },

    /** Moves units between on-hand and reserved; the table's CHECK constraint refuses anything that would go below zero. */
    async adjustStock(sku: string, change: { onHand: number; reserved: number; bumpRevision: boolean }): Promise<ProductRow> {
      const { rows } = await q.query<ProductRow>(
        `UPDATE ${schema}.products
            SET on_hand = on_hand + $2, reserved = reserved + $3,
                revision = revision + CASE WHEN $4::boolean THEN 1 ELSE 0 END, updated_at = now()
          WHERE sku = $1
          RETURNING ${productColumns}`,
        [sku, change.onHand, change.reserved, change.bumpRevision],
      );
      return rows[0]!;
    },

    async findOrderOutcome(orderId: string): Promise<OrderOutcomeRow | undefined> {
      const { rows } = await q.query<OrderOutcomeRow>(
        `SELECT order_id, outcome, shortages FROM ${schema}.order_outcomes WHERE order_id = $1`,
        [orderId],
      );
      return rows[0];
    },

    async recordOrderOutcome(orderId: string, outcome: OrderOutcome, shortages?: Shortage[]): Promise<void> {
      await q.query(
        `INSERT INTO ${schema}.order_outcomes (order_id, outcome, shortages) VALUES ($1, $2, $3::jsonb)`,
        [orderId, outcome, shortages === undefined ? null : JSON.stringify(shortages)],
      );
    },

    async findReservations(orderId: string): Promise<ReservationRow[]> {
      const { rows } = await q.query<ReservationRow>(
        `SELECT order_id, sku, quantity, status FROM ${schema}.reservations WHERE order_id = $1 ORDER BY sku`,
        [orderId],
      );
      return rows;
    },

    async insertReservation(orderId: string, sku: string, quantity: number): Promise<void> {
      await q.query(
        `INSERT INTO ${schema}.reservations (order_id, sku, quantity, status) VALUES ($1, $2, $3, 'RESERVED')`,
        [orderId, sku, quantity],
      );
    },

    async setReservationStatus(orderId: string, sku: string, status: ReservationStatus): Promise<void> {
      await q.query(
        `UPDATE ${schema}.reservations SET status = $3, updated_at = now() WHERE order_id = $1 AND sku = $2`,
        [orderId, sku, status],
      );
    },

    /**
     * Creates or replaces a product as the owner describes it. Units reserved by orders in flight stay reserved:
     * the owner states what is available for sale, so on-hand becomes that plus what is already promised.
     */
    async upsertProduct(sku: string, input: ProductInput): Promise<ProductRow> {
      const { rows } = await q.query<ProductRow>(
        `INSERT INTO ${schema}.products AS p (sku, name, price, currency, active, on_hand, reserved, revision)
         VALUES ($1, $2, $3, $6, COALESCE($5::boolean, true), $4, 0, 1)
         ON CONFLICT (sku) DO UPDATE
            SET name = EXCLUDED.name, price = EXCLUDED.price, active = COALESCE($5::boolean, p.active),
                on_hand = EXCLUDED.on_hand + p.reserved, revision = p.revision + 1, updated_at = now()
         RETURNING ${productColumns}`,
        [sku, input.name, input.price, input.available, input.active ?? null, CATALOG_CURRENCY],
      );
      return rows[0]!;
    },

    async listProducts(): Promise<ProductRow[]> {
      const { rows } = await q.query<ProductRow>(`SELECT ${productColumns} FROM ${schema}.products ORDER BY sku`);
      return rows;
    },

    async findProduct(sku: string): Promise<ProductRow | undefined> {
      const { rows } = await q.query<ProductRow>(`SELECT ${productColumns} FROM ${schema}.products WHERE sku = $1`, [sku]);
      return rows[0];
    },

    async countProducts(): Promise<number> {
      const { rows } = await q.query<{ count: number | string }>(`SELECT count(*) AS count FROM ${schema}.products`);
      return Number(rows[0]!.count);
    },

    /** True when this event id has already been queued, so a re-emission needs an id of its own to reach the broker. */
    async isInOutbox(eventId: string): Promise<boolean> {
      const { rows } = await q.query(`SELECT 1 FROM ${schema}.outbox WHERE event_id = $1`, [eventId]);
      return rows.length > 0;
    },
  };
}

export type InventoryStore = ReturnType<typeof createInventoryStore>;
