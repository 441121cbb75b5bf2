// The API's own store (schema `api`): Idempotency-Key → request hash, order id and the answer given, so retries get the same answer.
import { createHash, randomUUID } from 'node:crypto';
import type { Queryable } from '../../platform/store/database.js';
import type { Migration } from '../../platform/store/migrations.js';
import { orderWritesMigration } from './order-writes.js';

export const API_SCHEMA = 'api';

export const apiMigrations: Migration[] = [
  {
    id: '001_idempotency_keys',
    sql: `
      CREATE TABLE IF NOT EXISTS {schema}.idempotency_keys (
        key text PRIMARY KEY,
        request_hash text NOT NULL,
        order_id text NOT NULL,
        response_status integer,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  // The API's own writes (order-writes.ts) live in the same schema: read-your-writes across API instances.
  orderWritesMigration,
];

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What a request holding an Idempotency-Key should do next. */
export type IdempotencyClaim =
  /** First time this key is seen: go ahead with this fresh order id. */
  | { kind: 'new'; orderId: string }
  /** Seen before with the same body but no answer stored (still running, or crashed): continue with the same order id. */
  | { kind: 'in-progress'; orderId: string }
  /** Answered before: return that answer verbatim. */
  | { kind: 'replay'; orderId: string; response: StoredResponse }
  /** Seen before with a different body. */
  | { kind: 'conflict'; orderId: string };

export interface IdempotencyStore {
  claim(key: string, requestHash: string): Promise<IdempotencyClaim>;
  /** Records the final answer; the first answer recorded wins, so every retry replays the same one. */
  saveResponse(key: string, response: StoredResponse): Promise<void>;
}

/** JSON with object keys sorted, so the same request in another key order hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The stored key: a client's Idempotency-Key within its customer's own namespace, so one customer's key never answers,
 * nor blocks with a 409, another's (an admin ordering on a customer's behalf shares that customer's). JSON keeps the
 * two parts apart whatever characters they hold.
 */
export function customerScopedKey(customerId: string, key: string): string {
  return JSON.stringify([customerId, key]);
}

export function hashRequest(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

interface KeyRow {
  request_hash: string;
  order_id: string;
  response_status: number | null;
  response_body: unknown;
}

/** The store over `db` (the database or a transaction); the api's wiring has applied apiMigrations to API_SCHEMA. */
export function createIdempotencyStore(db: Queryable): IdempotencyStore {
  const table = `${API_SCHEMA}.idempotency_keys`;

  return {
    async claim(key, requestHash) {
      // Insert-or-read in one statement pair without a transaction: the primary key decides the race, and the
      // loser simply reads what the winner wrote.
      const inserted = await db.query<{ order_id: string }>(
        `INSERT INTO ${table} (key, request_hash, order_id) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING order_id`,
        [key, requestHash, randomUUID()],
      );
      if (inserted.rows[0]) return { kind: 'new', orderId: inserted.rows[0].order_id };

      const { rows } = await db.query<KeyRow>(
        `SELECT request_hash, order_id, response_status, response_body FROM ${table} WHERE key = $1`,
        [key],
      );
      const row = rows[0];
      if (!row) throw new Error(`idempotency key "${key}" vanished between insert and read`);
      if (row.request_hash !== requestHash) return { kind: 'conflict', orderId: row.order_id };
      if (row.response_status !== null) {
        return { kind: 'replay', orderId: row.order_id, response: { status: row.response_status, body: row.response_body } };
      }
      return { kind: 'in-progress', orderId: row.order_id };
    },

    async saveResponse(key, response) {
      await db.query(
        `UPDATE ${table} SET response_status = $2, response_body = $3::jsonb WHERE key = $1 AND response_status IS NULL`,
        [key, response.status, JSON.stringify(response.body)],
      );
    },
  };
}
