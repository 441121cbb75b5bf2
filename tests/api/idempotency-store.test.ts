// The API's idempotency store keeps its promises on both stores it runs on: embedded PGlite and a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Database } from '../../platform/store/database.js';
import { API_SCHEMA, apiMigrations, createIdempotencyStore, hashRequest, type IdempotencyStore } from '../../api/orders/idempotency-store.js';
import { migrate } from '../../platform/store/migrations.js';
import { createTestDatabase } from '../support/databases.js';

const postgresUrl = inject('infrastructure').postgresUrl;

const stores: { name: string; open: () => Promise<{ db: Database; cleanup: () => Promise<void> }> }[] = [
  {
    name: 'PGlite',
    open: async () => {
      const db = await openDatabase({ component: 'api', dataDir: ':memory:' });
      return { db, cleanup: () => db.close() };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const database = await createTestDatabase(postgresUrl);
      const db = await openDatabase({ component: 'api', databaseUrl: database.url, dataDir: ':memory:' });
      return {
        db,
        cleanup: async () => {
          await db.close();
          await database.drop();
        },
      };
    },
  },
];

describe.each(stores)('idempotency store on $name', ({ open }) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let store: IdempotencyStore;

  beforeAll(async () => {
    ({ db, cleanup } = await open());
    await migrate(db, API_SCHEMA, apiMigrations);
    store = createIdempotencyStore(db);
  });

  afterAll(async () => {
    await cleanup?.();
  });

  const key = () => `key-${Math.random().toString(36).slice(2)}`;

  it('hands out a fresh order id the first time a key is seen', async () => {
    const first = await store.claim(key(), hashRequest({ a: 1 }));
    const second = await store.claim(key(), hashRequest({ a: 1 }));
    expect(first.kind).toBe('new');
    expect(second.kind).toBe('new');
    expect(first.orderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.orderId).not.toBe(second.orderId);
  });

  it('same key, same body, no answer yet: continues with the same order id', async () => {
    const k = key();
    const first = await store.claim(k, hashRequest({ a: 1 }));
    const again = await store.claim(k, hashRequest({ a: 1 }));
    expect(again).toEqual({ kind: 'in-progress', orderId: first.orderId });
  });

  it('same key, same body after an answer: replays the stored answer verbatim', async () => {
    const k = key();
    const first = await store.claim(k, hashRequest({ a: 1 }));
    const answer = { status: 201, body: { orderId: first.orderId, status: 'CART_VERIFIED', lines: [{ sku: 'A', quantity: 2 }], total: 500 } };
    await store.saveResponse(k, answer);
    expect(await store.claim(k, hashRequest({ a: 1 }))).toEqual({ kind: 'replay', orderId: first.orderId, response: answer });
  });

  it('keeps the first answer stored when a concurrent request saves another', async () => {
    const k = key();
    const first = await store.claim(k, hashRequest({ a: 1 }));
    await store.saveResponse(k, { status: 201, body: { n: 1 } });
    await store.saveResponse(k, { status: 422, body: { n: 2 } });
    expect(await store.claim(k, hashRequest({ a: 1 }))).toEqual({ kind: 'replay', orderId: first.orderId, response: { status: 201, body: { n: 1 } } });
  });

  it('same key, other body: a conflict, whether or not an answer was stored', async () => {
    const k = key();
    await store.claim(k, hashRequest({ a: 1 }));
    expect((await store.claim(k, hashRequest({ a: 2 }))).kind).toBe('conflict');
    await store.saveResponse(k, { status: 201, body: {} });
    expect((await store.claim(k, hashRequest({ a: 2 }))).kind).toBe('conflict');
  });

  it('concurrent first requests with one key all get one and the same order id', async () => {
    const k = key();
    const claims = await Promise.all(Array.from({ length: 12 }, () => store.claim(k, hashRequest({ a: 1 }))));
    expect(new Set(claims.map((claim) => claim.orderId)).size).toBe(1);
    expect(claims.filter((claim) => claim.kind === 'new')).toHaveLength(1);
    expect(claims.filter((claim) => claim.kind === 'in-progress')).toHaveLength(11);
  });

  it('keeps its table in the api schema, as the design says', async () => {
    const { rows } = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'api' AND table_name = 'idempotency_keys' ORDER BY ordinal_position`,
    );
    expect(rows.map((row) => row.column_name)).toEqual(['key', 'request_hash', 'order_id', 'response_status', 'response_body', 'created_at']);
  });

  it('migrating twice is harmless (two API instances starting together)', async () => {
    await expect(Promise.all([migrate(db, API_SCHEMA, apiMigrations), migrate(db, API_SCHEMA, apiMigrations)])).resolves.toHaveLength(2);
  });
});

describe('request hashing', () => {
  it('ignores key order, so the same request written differently is the same request', () => {
    expect(hashRequest({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(hashRequest({ b: { d: 'x', c: [1, 2] }, a: 1 }));
  });

  it('tells different requests apart, including array order', () => {
    expect(hashRequest({ items: [1, 2] })).not.toBe(hashRequest({ items: [2, 1] }));
    expect(hashRequest({ a: '1' })).not.toBe(hashRequest({ a: 1 }));
  });
});
