// The orders side's local copy of the catalog and availability: read by cart verification and GET /products, never by inventory.
import type { Queryable } from '../platform/store/database.js';
import type { Migration } from '../platform/store/migrations.js';
import { eventHandlingMigrations } from '../platform/messaging/inbox-outbox.js';
import type { EventData } from '../platform/events/catalog.js';

export interface ReplicaProduct {
  sku: string;
  name: string;
  price: number;
  currency: string;
  available: number;
  active: boolean;
  revision: number;
}

export const catalogReplicaMigrations: Migration[] = [
  ...eventHandlingMigrations,
  {
    id: '001_products',
    sql: `
      CREATE TABLE IF NOT EXISTS {schema}.products (
        sku text PRIMARY KEY,
        name text NOT NULL,
        price integer NOT NULL CHECK (price >= 0),
        currency char(3) NOT NULL,
        available integer NOT NULL CHECK (available >= 0),
        active boolean NOT NULL,
        revision integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

export interface CatalogReplicaStore {
  /**
   * Applies an update only when it is newer than what the replica holds: events may arrive out of order
   * (retries, several relays), and the revision is the owner's ordering. Returns whether it applied.
   */
  apply(update: EventData<'catalog.product-updated'>): Promise<boolean>;
  get(sku: string): Promise<ReplicaProduct | undefined>;
  getMany(skus: readonly string[]): Promise<Map<string, ReplicaProduct>>;
  list(): Promise<ReplicaProduct[]>;
  isEmpty(): Promise<boolean>;
}

/** The replica's queries over any Queryable: the database, or the transaction an event is handled in. */
export function createCatalogReplicaStore(db: Queryable, schema: string): CatalogReplicaStore {
  return {
    async apply(update) {
      const result = await db.query(
        `INSERT INTO ${schema}.products AS p (sku, name, price, currency, available, active, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (sku) DO UPDATE
           SET name = EXCLUDED.name, price = EXCLUDED.price, currency = EXCLUDED.currency,
               available = EXCLUDED.available, active = EXCLUDED.active, revision = EXCLUDED.revision, updated_at = now()
           WHERE p.revision < EXCLUDED.revision`,
        [update.sku, update.name, update.price, update.currency, update.available, update.active, update.revision],
      );
      return result.rowCount === 1;
    },

    async get(sku) {
      const { rows } = await db.query<ReplicaProduct>(`SELECT ${columns} FROM ${schema}.products WHERE sku = $1`, [sku]);
      return rows[0];
    },

    async getMany(skus) {
      const { rows } = await db.query<ReplicaProduct>(`SELECT ${columns} FROM ${schema}.products WHERE sku = ANY($1::text[])`, [[...new Set(skus)]]);
      return new Map(rows.map((row) => [row.sku, row]));
    },

    async list() {
      return (await db.query<ReplicaProduct>(`SELECT ${columns} FROM ${schema}.products ORDER BY sku`)).rows;
    },

    async isEmpty() {
      const { rows } = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${schema}.products`);
      return rows[0]!.count === 0;
    },
  };
}

const columns = 'sku, name, price, currency::text AS currency, available, active, revision';
