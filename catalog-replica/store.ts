// The orders side's local copy of the catalog and availability: read by cart verification and GET /products, never by inventory.
import type { Database, Queryable } from '../platform/store/database.js';
import { migrate } from '../platform/store/migrations.js';
import { inboxOutboxMigration } from '../platform/messaging/inbox-outbox.js';
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

const migrations = [
  inboxOutboxMigration,
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

export class CatalogReplicaStore {
  constructor(
    private readonly db: Database,
    readonly schema: string,
  ) {}

  async migrate(): Promise<void> {
    await migrate(this.db, this.schema, migrations);
  }

  /**
   * Applies an update only when it is newer than what the replica holds: events may arrive out of
   * order (retries, several relays), and the revision is the owner's ordering. Returns whether it applied.
   */
  async apply(tx: Queryable, update: EventData<'catalog.product-updated'>): Promise<boolean> {
    const result = await tx.query(
      `INSERT INTO ${this.schema}.products AS p (sku, name, price, currency, available, active, revision)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (sku) DO UPDATE
         SET name = EXCLUDED.name, price = EXCLUDED.price, currency = EXCLUDED.currency,
             available = EXCLUDED.available, active = EXCLUDED.active, revision = EXCLUDED.revision, updated_at = now()
         WHERE p.revision < EXCLUDED.revision`,
      [update.sku, update.name, update.price, update.currency, update.available, update.active, update.revision],
    );
    return result.rowCount === 1;
  }

  async get(sku: string): Promise<ReplicaProduct | undefined> {
    const { rows } = await this.db.query<ReplicaProduct>(`SELECT ${columns} FROM ${this.schema}.products WHERE sku = $1`, [sku]);
    return rows[0];
  }

  async getMany(skus: readonly string[]): Promise<Map<string, ReplicaProduct>> {
    const { rows } = await this.db.query<ReplicaProduct>(
      `SELECT ${columns} FROM ${this.schema}.products WHERE sku = ANY($1::text[])`,
      [[...new Set(skus)]],
    );
    return new Map(rows.map((row) => [row.sku, row]));
  }

  async list(): Promise<ReplicaProduct[]> {
    return (await this.db.query<ReplicaProduct>(`SELECT ${columns} FROM ${this.schema}.products ORDER BY sku`)).rows;
  }

  async isEmpty(): Promise<boolean> {
    const { rows } = await this.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${this.schema}.products`);
    return rows[0]!.count === 0;
  }
}

const columns = 'sku, name, price, currency::text AS currency, available, active, revision';
