// The API's record of its own writes (an order accepted, rejected or cancelled): its reads show them at once, on any API instance.
import type { Queryable } from '../../platform/store/database.js';
import type { Migration } from '../../platform/store/migrations.js';
import { isTerminal, type OrderState, type OrderStatus } from '../../workflows/contract.js';

export const orderWritesMigration: Migration = {
  id: '002_order_writes',
  sql: `
    CREATE TABLE IF NOT EXISTS {schema}.order_writes (
      order_id text PRIMARY KEY,
      customer_id text NOT NULL,
      progress integer NOT NULL,
      state jsonb NOT NULL,
      written_at timestamptz NOT NULL DEFAULT now()
    );
  `,
};

/** How far along an order is: two answers about one order are compared by it, the further one wins. */
export function statusProgress(status: OrderStatus): number {
  if (isTerminal(status)) return 3;
  return { RECEIVED: 0, CART_VERIFIED: 1, PAYMENT_AUTHORIZED: 2 }[status as 'RECEIVED' | 'CART_VERIFIED' | 'PAYMENT_AUTHORIZED'];
}

export interface OrderWrites {
  /** Keeps the state the workflow answered a write with; never replaces a further one (a late retry of the placement). */
  record(state: OrderState): Promise<void>;
  find(orderId: string): Promise<OrderState | undefined>;
  findMany(orderIds: readonly string[]): Promise<Map<string, OrderState>>;
}

/**
 * In the API's own store rather than in memory, so a client whose next request lands on another API instance still
 * reads its own write. The workflow's state holds no email, address or payment token, so neither does this.
 */
export function createOrderWrites(db: Queryable, schema: string): OrderWrites {
  const table = `${schema}.order_writes`;
  return {
    async record(state) {
      await db.query(
        `INSERT INTO ${table} (order_id, customer_id, progress, state) VALUES ($1, $2, $3, $4::jsonb)
         ON CONFLICT (order_id) DO UPDATE SET progress = EXCLUDED.progress, state = EXCLUDED.state, written_at = now()
         WHERE ${table}.progress <= EXCLUDED.progress`,
        [state.orderId, state.customerId, statusProgress(state.status), JSON.stringify(state)],
      );
    },
    async find(orderId) {
      const { rows } = await db.query<{ state: OrderState }>(`SELECT state FROM ${table} WHERE order_id = $1`, [orderId]);
      return rows[0]?.state;
    },
    async findMany(orderIds) {
      if (orderIds.length === 0) return new Map();
      const { rows } = await db.query<{ state: OrderState }>(`SELECT state FROM ${table} WHERE order_id = ANY($1::text[])`, [orderIds]);
      return new Map(rows.map(({ state }) => [state.orderId, state]));
    },
  };
}
