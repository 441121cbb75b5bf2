// Each component's PostgreSQL role on a real server: it migrates and uses its own schemas, and is refused another's.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { catalogReplicaSchema } from '../../catalog-replica/index.js';
import { API_SCHEMA } from '../../api/orders/idempotency-store.js';
import { INVENTORY_SCHEMA, inventoryMigrations } from '../../event-handlers/inventory/store.js';
import { NOTIFICATIONS_SCHEMA, notificationsMigrations } from '../../event-handlers/notifications/store.js';
import { ORDER_OUTCOME_SCHEMA } from '../../event-handlers/order-outcome/index.js';
import { ORDER_VIEW_SCHEMA } from '../../event-handlers/order-view/store.js';
import { PAYMENTS_SCHEMA } from '../../payment-provider/store.js';
import { CARRIER_SCHEMA } from '../../carrier/store.js';
import { SHIPPING_SCHEMA } from '../../event-handlers/shipping/store.js';
import { openDatabase, type Database } from '../../platform/store/database.js';
import { applyDatabaseUsers, DATABASE_COMPONENTS, databaseRoleOf, schemasOf, type DatabaseComponent } from '../../platform/store/database-users.js';
import { migrate } from '../../platform/store/migrations.js';
import { createTestDatabase } from '../support/databases.js';

const infrastructure = inject('infrastructure');
// Roles belong to the whole server, so this run's are prefixed; schemas belong to the fresh database.
const prefix = `test_${randomUUID().replaceAll('-', '').slice(0, 8)}_`;
const users = DATABASE_COMPONENTS.map((component) => ({ component, role: databaseRoleOf(component, prefix), password: randomUUID() }));
let database: { url: string; drop: () => Promise<void> };
const opened: Database[] = [];

function urlAs(component: DatabaseComponent): string {
  const user = users.find((candidate) => candidate.component === component)!;
  const url = new URL(database.url);
  url.username = user.role;
  url.password = user.password;
  return url.toString();
}

async function openAs(component: DatabaseComponent): Promise<Database> {
  const db = await openDatabase({ component, databaseUrl: urlAs(component), dataDir: ':memory:', maxConnections: 1 });
  opened.push(db);
  return db;
}

/** PostgreSQL's insufficient_privilege. */
const permissionDenied = expect.objectContaining({ code: '42501' });

beforeAll(async () => {
  database = await createTestDatabase(infrastructure.postgresUrl);
  await applyDatabaseUsers(database.url, users);
});

afterAll(async () => {
  await Promise.allSettled(opened.map((db) => db.close()));
  await database?.drop();
  const admin = new pg.Client({ connectionString: infrastructure.postgresUrl });
  await admin.connect();
  try {
    for (const { role } of users) await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(role)}`);
  } finally {
    await admin.end();
  }
});

describe('database users', () => {
  it('cover the schemas the components use', () => {
    expect(schemasOf).toEqual({
      api: [API_SCHEMA, catalogReplicaSchema('api')],
      worker: [catalogReplicaSchema('worker')],
      'payment-provider': [PAYMENTS_SCHEMA],
      inventory: [INVENTORY_SCHEMA],
      notifications: [NOTIFICATIONS_SCHEMA],
      'order-outcome': [ORDER_OUTCOME_SCHEMA],
      'order-view': [ORDER_VIEW_SCHEMA],
      carrier: [CARRIER_SCHEMA],
      shipping: [SHIPPING_SCHEMA],
    });
  });

  it('let a component migrate its own schema and read and write in it', async () => {
    const inventory = await openAs('inventory');
    await migrate(inventory, INVENTORY_SCHEMA, inventoryMigrations);
    await migrate(inventory, INVENTORY_SCHEMA, inventoryMigrations);
    const { rows } = await inventory.query<{ applied: number }>(`SELECT count(*)::int AS applied FROM ${INVENTORY_SCHEMA}.schema_migrations`);
    expect(rows[0]?.applied).toBe(inventoryMigrations.length);
  });

  it('refuse a component another component\'s schema, and a schema of its own making', async () => {
    const notifications = await openAs('notifications');
    await migrate(notifications, NOTIFICATIONS_SCHEMA, notificationsMigrations);
    const inventory = await openAs('inventory');
    await expect(inventory.query(`SELECT * FROM ${NOTIFICATIONS_SCHEMA}.contacts`)).rejects.toEqual(permissionDenied);
    await expect(inventory.query(`CREATE TABLE ${NOTIFICATIONS_SCHEMA}.planted (id int)`)).rejects.toEqual(permissionDenied);
    await expect(notifications.query(`SELECT * FROM ${INVENTORY_SCHEMA}.schema_migrations`)).rejects.toEqual(permissionDenied);
    await expect(inventory.query('CREATE SCHEMA planted')).rejects.toEqual(permissionDenied);
    await expect(inventory.query('CREATE TABLE public.planted (id int)')).rejects.toEqual(permissionDenied);
  });

  it('update passwords when applied again', async () => {
    // The test server trusts local connections, so the stored hash shows the change rather than a refused login.
    const role = databaseRoleOf('payment-provider', prefix);
    const storedPassword = async () => {
      const admin = new pg.Client({ connectionString: infrastructure.postgresUrl });
      await admin.connect();
      try {
        return (await admin.query<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])).rows[0]?.rolpassword;
      } finally {
        await admin.end();
      }
    };
    const before = await storedPassword();
    await applyDatabaseUsers(database.url, users.map((user) => (user.role === role ? { ...user, password: randomUUID() } : user)));
    expect(before).toMatch(/^SCRAM-SHA-256\$/);
    expect(await storedPassword()).not.toBe(before);
  });
});
