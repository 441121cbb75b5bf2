// The order view's store (schema `order_view`): each applied event's facts, and each order's row folded from them.
import { eventHandlingMigrations } from '../../platform/messaging/inbox-outbox.js';
import type { Queryable } from '../../platform/store/database.js';
import type { Migration } from '../../platform/store/migrations.js';
import type { OrderStatus } from '../../workflows/contract.js';
import { foldOrder, type OrderFact, type OrderRow } from './story.js';

export const ORDER_VIEW_SCHEMA = 'order_view';
const schema = ORDER_VIEW_SCHEMA;

export const orderViewMigrations: Migration[] = [
  ...eventHandlingMigrations,
  {
    id: '001_facts_and_orders',
    sql: `
      CREATE TABLE IF NOT EXISTS {schema}.facts (
        event_id text PRIMARY KEY,
        order_id text NOT NULL,
        type text NOT NULL,
        occurred_at text NOT NULL,
        data jsonb NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX IF NOT EXISTS facts_by_order ON {schema}.facts (order_id);
      CREATE TABLE IF NOT EXISTS {schema}.orders (
        order_id text PRIMARY KEY,
        customer_id text NOT NULL,
        status text NOT NULL,
        created_at timestamptz NOT NULL,
        body jsonb NOT NULL
      );
      CREATE INDEX IF NOT EXISTS orders_newest_first ON {schema}.orders (created_at DESC, order_id DESC);
      CREATE INDEX IF NOT EXISTS orders_by_customer ON {schema}.orders (customer_id, created_at DESC, order_id DESC);
      -- Where a rebuild collects the replayed facts before they replace the live ones.
      CREATE TABLE IF NOT EXISTS {schema}.facts_rebuild (
        event_id text PRIMARY KEY,
        order_id text NOT NULL,
        type text NOT NULL,
        occurred_at text NOT NULL,
        data jsonb NOT NULL
      );
    `,
  },
  {
    // One rebuild at a time across every instance sharing the store: they share the staging table.
    id: '002_rebuild_claim',
    sql: `
      CREATE TABLE IF NOT EXISTS {schema}.rebuild_claim (
        id integer PRIMARY KEY CHECK (id = 1),
        claimed_at timestamptz NOT NULL
      );
    `,
  },
];

interface FactRecord {
  event_id: string;
  order_id: string;
  type: OrderFact['type'];
  occurred_at: string;
  data: OrderFact['data'];
}

const toFact = (row: FactRecord): OrderFact => ({ orderId: row.order_id, eventId: row.event_id, type: row.type, occurredAt: row.occurred_at, data: row.data });

export interface OrderListFilter {
  customerId?: string;
  status?: OrderStatus;
  limit: number;
  /** Keyset position: the last order of the previous page. */
  after?: { createdAt: string; orderId: string };
}

export function createOrderViewStore(q: Queryable) {
  /** Serialises the work on one order across transactions (and instances), so each fold sees every fact committed before it. */
  const lockOrder = (orderId: string) => q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`order-view:order:${orderId}`]);

  const factsOf = async (orderId: string): Promise<OrderFact[]> =>
    (await q.query<FactRecord>(`SELECT event_id, order_id, type, occurred_at, data FROM ${schema}.facts WHERE order_id = $1`, [orderId])).rows.map(toFact);

  /** Writes the order's row from its facts; an order without its first fact yet has no row. */
  const refold = async (orderId: string): Promise<void> => {
    const row = foldOrder(await factsOf(orderId));
    if (!row) return;
    await q.query(
      `INSERT INTO ${schema}.orders (order_id, customer_id, status, created_at, body) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (order_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status, created_at = EXCLUDED.created_at, body = EXCLUDED.body`,
      [row.orderId, row.customerId, row.status, row.createdAt, JSON.stringify(row)],
    );
  };

  return {
    lockOrder,
    factsOf,
    refold,

    /** Keeps the event's facts (once per event id) and folds the order's row again. Run inside the event's transaction. */
    async apply(fact: OrderFact): Promise<void> {
      await lockOrder(fact.orderId);
      await q.query(
        `INSERT INTO ${schema}.facts (event_id, order_id, type, occurred_at, data) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (event_id) DO NOTHING`,
        [fact.eventId, fact.orderId, fact.type, fact.occurredAt, JSON.stringify(fact.data)],
      );
      await refold(fact.orderId);
    },

    async getOrder(orderId: string): Promise<OrderRow | undefined> {
      const { rows } = await q.query<{ body: OrderRow }>(`SELECT body FROM ${schema}.orders WHERE order_id = $1`, [orderId]);
      return rows[0]?.body;
    },

    /** Newest first; one more than asked tells whether another page follows. */
    async listOrders(filter: OrderListFilter): Promise<{ rows: OrderRow[]; more: boolean }> {
      const clauses: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      if (filter.customerId !== undefined) clauses.push(`customer_id = ${param(filter.customerId)}`);
      if (filter.status !== undefined) clauses.push(`status = ${param(filter.status)}`);
      if (filter.after) clauses.push(`(created_at, order_id) < (${param(filter.after.createdAt)}::timestamptz, ${param(filter.after.orderId)})`);
      const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
      const { rows } = await q.query<{ body: OrderRow }>(
        `SELECT body FROM ${schema}.orders ${where} ORDER BY created_at DESC, order_id DESC LIMIT ${param(filter.limit + 1)}`,
        params,
      );
      return { rows: rows.slice(0, filter.limit).map((r) => r.body), more: rows.length > filter.limit };
    },

    /** Every row, for comparing a rebuilt view with the live one. */
    async allOrders(): Promise<OrderRow[]> {
      return (await q.query<{ body: OrderRow }>(`SELECT body FROM ${schema}.orders ORDER BY order_id`)).rows.map((r) => r.body);
    },
  };
}

export type OrderViewStore = ReturnType<typeof createOrderViewStore>;
