// Who may use which schema in PostgreSQL: one login role per component, owning its own schemas and reaching no other.
import pg from 'pg';

/**
 * The schemas each component's store uses (see each component's wiring: its own schema, its journal in it, and for the
 * api and the worker their catalog replica's). tests/platform/database-users.test.ts keeps this equal to the code's names.
 */
export const schemasOf = {
  api: ['api', 'catalog_replica_api'],
  worker: ['catalog_replica_worker'],
  'payment-provider': ['payments'],
  inventory: ['inventory'],
  notifications: ['notifications'],
  'order-outcome': ['order_outcome'],
  'order-view': ['order_view'],
  carrier: ['carrier'],
  shipping: ['shipping'],
} as const satisfies Record<string, readonly string[]>;

export type DatabaseComponent = keyof typeof schemasOf;
export const DATABASE_COMPONENTS = Object.keys(schemasOf) as DatabaseComponent[];

/** The role a component logs in as: its name, in the identifier form PostgreSQL needs no quotes for (`order_outcome`). */
export const databaseRoleOf = (component: DatabaseComponent, prefix = '') => `${prefix}${component.replace(/-/g, '_')}`;

export interface DatabaseUser {
  component: DatabaseComponent;
  role: string;
  password: string;
}

/**
 * Run as a superuser on the components' database, again on every start (it updates passwords): nobody but the roles
 * named here may connect; each role owns its schemas and so may create, read and write in them and nowhere else. The
 * schemas exist before a component starts, so its migrations need no right to create schemas (see migrate()).
 */
export async function applyDatabaseUsers(adminUrl: string, users: readonly DatabaseUser[]): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const database = client.escapeIdentifier((await client.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name);
    await client.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
    // PostgreSQL 15 and later already keep PUBLIC from creating in the public schema; older ones do not.
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    for (const { component, role, password } of users) {
      const name = client.escapeIdentifier(role);
      const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rows.length === 1;
      // Passwords cannot be bound parameters in DDL; escapeLiteral quotes them safely.
      await client.query(`${exists ? 'ALTER' : 'CREATE'} ROLE ${name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${client.escapeLiteral(password)}`);
      await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${name}`);
      for (const schema of schemasOf[component]) {
        const quoted = client.escapeIdentifier(schema);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted} AUTHORIZATION ${name}`);
        await client.query(`ALTER SCHEMA ${quoted} OWNER TO ${name}`);
      }
    }
  } finally {
    await client.end();
  }
}
