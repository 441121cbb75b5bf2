// Test databases: a fresh PostgreSQL database per test file (so schemas never collide), or in-memory PGlite.
import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** Creates an empty database on the server behind adminUrl and returns its URL plus a function to drop it. */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `ensemble_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

async function runSql(databaseUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A handler fault that no retry cures: stock movements of one sku are frozen in inventory's own tables, so every
 * reservation for it fails until the returned thaw (the operator's fix) runs. Its order.paid ends as a dead letter.
 */
export async function freezeStockMovements(databaseUrl: string, sku: string): Promise<() => Promise<void>> {
  const trigger = `freeze_${sku.replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;
  await runSql(
    databaseUrl,
    `CREATE FUNCTION inventory.${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'stock count in progress: stock movements are frozen'; END $$;
     CREATE TRIGGER ${trigger} BEFORE UPDATE ON inventory.products FOR EACH ROW
       WHEN (NEW.sku = '${sku}' AND NEW.reserved IS DISTINCT FROM OLD.reserved) EXECUTE FUNCTION inventory.${trigger}();`,
  );
  return () => runSql(databaseUrl, `DROP TRIGGER ${trigger} ON inventory.products; DROP FUNCTION inventory.${trigger}();`);
}
