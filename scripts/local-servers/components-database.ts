// The components' database on a local PostgreSQL server: one database, a login role per component owning its own schemas.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyDatabaseUsers, databaseRoleOf, DATABASE_COMPONENTS, type DatabaseComponent } from '../../platform/store/database-users.js';

export const COMPONENTS_DATABASE = 'ensemble';

/**
 * Creates the database unless an earlier start did (npm start keeps its server's data), then sets up the roles as
 * `npm run database-users` does, with new passwords on every start. Returns each component's DATABASE_URL.
 */
export async function createComponentsDatabase(adminUrl: string): Promise<Record<DatabaseComponent, string>> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [COMPONENTS_DATABASE])).rows.length === 1;
    if (!exists) await admin.query(`CREATE DATABASE ${COMPONENTS_DATABASE}`);
  } finally {
    await admin.end();
  }
  const databaseAdminUrl = new URL(adminUrl);
  databaseAdminUrl.pathname = `/${COMPONENTS_DATABASE}`;
  // Hex passwords: they go inside URLs, where base64's characters would need escaping.
  const users = DATABASE_COMPONENTS.map((component) => ({ component, role: databaseRoleOf(component), password: randomBytes(16).toString('hex') }));
  await applyDatabaseUsers(databaseAdminUrl.toString(), users);
  return Object.fromEntries(
    users.map(({ component, role, password }) => {
      const url = new URL(databaseAdminUrl);
      url.username = role;
      url.password = password;
      return [component, url.toString()];
    }),
  ) as Record<DatabaseComponent, string>;
}
