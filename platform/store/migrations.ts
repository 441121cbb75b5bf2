// Schema migrations: each component owns one schema and applies its numbered migrations once, in order.
import type { Database } from './database.js';

export interface Migration {
  /** Stable, ordered name, e.g. `001_products`. Never rename an applied migration. */
  id: string;
  sql: string;
}

/**
 * Creates the schema and applies the migrations not yet applied, in one transaction,
 * holding an advisory lock so that two instances starting together do not race.
 */
export async function migrate(db: Database, schema: string, migrations: Migration[]): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`migrate:${schema}`]);
    // Only when missing: CREATE SCHEMA (even IF NOT EXISTS) needs CREATE on the database, which a component's own role
    // lacks where an operator made its schema for it (platform/store/database-users.ts).
    const exists = (await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rows.length > 0;
    if (!exists) await tx.query(`CREATE SCHEMA ${schema}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const applied = new Set(
      (await tx.query<{ id: string }>(`SELECT id FROM ${schema}.schema_migrations`)).rows.map((row) => row.id),
    );
    for (const migration of [...migrations].sort((a, b) => a.id.localeCompare(b.id))) {
      if (applied.has(migration.id)) continue;
      for (const statement of splitStatements(migration.sql.replaceAll('{schema}', schema))) await tx.query(statement);
      await tx.query(`INSERT INTO ${schema}.schema_migrations (id) VALUES ($1)`, [migration.id]);
    }
  });
}

/** Migrations are plain DDL separated by semicolons at line ends; no function bodies, so a simple split is enough. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}
