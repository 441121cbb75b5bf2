// The store layer on both backends: migrations, transactions, inbox deduplication and the outbox relay.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createEvent } from '../../platform/events/catalog.js';
import { connectBroker, type Broker } from '../../platform/messaging/broker.js';
import { addToOutbox, claimInbox, eventHandlingMigrations } from '../../platform/messaging/inbox-outbox.js';
import { startOutboxRelay } from '../../platform/messaging/outbox-relay.js';
import { createEventPublisher } from '../../platform/messaging/publisher.js';
import { openDatabase, type Database } from '../../platform/store/database.js';
import { migrate } from '../../platform/store/migrations.js';
import { storeBackends } from '../support/backends.js';
import { eventually, testLog, watchEvents } from '../support/broker.js';

const infrastructure = inject('infrastructure');
const schema = 'store_test';
const event = (n: number) => createEvent('catalog.snapshot-requested', { requestedBy: `r${n}` }, { eventId: `evt-${n}-${randomUUID()}`, correlationId: 'c' });

it('runs against a real PostgreSQL server', () => {
  expect(storeBackends().map((backend) => backend.name)).toEqual(['pglite', 'postgres']);
  expect(infrastructure.postgresUrl).toMatch(/^postgres(ql)?:\/\//);
});

describe.each(storeBackends())('store on $name', (backend) => {
  let db: Database;
  let release: () => Promise<void>;

  beforeAll(async () => {
    ({ db, release } = await backend.open('store-test'));
    await migrate(db, schema, [...eventHandlingMigrations, { id: '001_things', sql: 'CREATE TABLE {schema}.things (id int PRIMARY KEY, amount bigint NOT NULL)' }]);
  });
  afterAll(async () => release());

  it('applies migrations once, however often it starts, concurrently too', async () => {
    const migrations = [...eventHandlingMigrations, { id: '001_things', sql: 'CREATE TABLE {schema}.things (id int PRIMARY KEY, amount bigint NOT NULL)' }];
    await Promise.all([migrate(db, schema, migrations), migrate(db, schema, migrations)]);
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM ${schema}.schema_migrations ORDER BY id`);
    expect(rows.map((row) => row.id)).toEqual(['000_inbox_outbox', '000_journal', '000_outbox_order_and_trace', '001_things']);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.transaction(async (tx) => void (await tx.query(`INSERT INTO ${schema}.things VALUES (1, 10)`)));
    await expect(db.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${schema}.things VALUES (2, 20)`);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    const { rows } = await db.query<{ id: number; amount: number }>(`SELECT id, amount FROM ${schema}.things ORDER BY id`);
    expect(rows).toEqual([{ id: 1, amount: 10 }]);
  });

  it('claims an event id in the inbox once', async () => {
    const incoming = event(1);
    const first = await db.transaction((tx) => claimInbox(tx, schema, incoming));
    const second = await db.transaction((tx) => claimInbox(tx, schema, incoming));
    expect([first, second]).toEqual([true, false]);
  });

  it('relays outbox rows to the broker with confirms and marks them published, once each', async () => {
    const exchange = `test.outbox.${randomUUID().slice(0, 8)}`;
    const watcher = await watchEvents(infrastructure.amqpUrl, exchange);
    const broker: Broker = await connectBroker(infrastructure.amqpUrl, testLog, 'outbox-test');
    const publisher = createEventPublisher(broker, testLog, { exchange, confirmTimeoutMs: 5_000 });
    const events = [event(1), event(2), event(3)];
    await db.transaction(async (tx) => {
      for (const e of events) await addToOutbox(tx, schema, e);
      await addToOutbox(tx, schema, events[0]!);
    });
    const relay = startOutboxRelay({ db, schema, publisher, log: testLog, pollIntervalMs: 50 });
    const second = startOutboxRelay({ db, schema, publisher, log: testLog, pollIntervalMs: 50 });
    await eventually(() => expect(watcher.events.map((e) => e.eventId).sort()).toEqual(events.map((e) => e.eventId).sort()));
    await eventually(async () => {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.outbox WHERE published_at IS NULL`);
      expect(rows[0]!.n).toBe(0);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(watcher.events).toHaveLength(3);
    await relay.stop();
    await second.stop();
    await publisher.close();
    await broker.close();
    await watcher.close();
  });
});

describe('embedded stores on disk', () => {
  it('are each their own database, kept across opens, with shared buffers sized for a few tables', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ensemble-pglite-'));
    try {
      const [first, second] = await Promise.all(['first', 'second'].map((component) => openDatabase({ component, dataDir })));
      try {
        await migrate(first!, 'things', [{ id: '001_things', sql: 'CREATE TABLE {schema}.things (id int PRIMARY KEY)' }]);
        await first!.query('INSERT INTO things.things (id) VALUES (1)');
        // Nothing written to the first is in the second.
        expect((await second!.query(`SELECT 1 FROM information_schema.schemata WHERE schema_name = 'things'`)).rows).toEqual([]);
        // Sized for a component's few tables, not PostgreSQL's 128 MB default: each embedded store is ~100 MB smaller.
        expect((await second!.query('SHOW shared_buffers')).rows).toEqual([{ shared_buffers: '16MB' }]);
      } finally {
        await Promise.all([first?.close(), second?.close()]);
      }
      const reopened = await openDatabase({ component: 'first', dataDir });
      try {
        expect((await reopened.query<{ id: number }>('SELECT id FROM things.things')).rows).toEqual([{ id: 1 }]);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
