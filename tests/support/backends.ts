// The two store backends every store test runs against: embedded PGlite and a real PostgreSQL server.
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../platform/store/database.js';
import { createTestDatabase } from './databases.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  /** A fresh, empty database; `release` closes and (for PostgreSQL) drops it. */
  open(component: string): Promise<{ db: Database; databaseUrl?: string; release: () => Promise<void> }>;
}

export function storeBackends(): Backend[] {
  const postgresUrl = inject('infrastructure').postgresUrl;
  return [
    {
      name: 'pglite',
      open: async (component) => {
        const db = await openDatabase({ component, dataDir: ':memory:' });
        return { db, release: () => db.close() };
      },
    },
    {
      name: 'postgres',
      open: async (component) => {
        const database = await createTestDatabase(postgresUrl);
        const db = await openDatabase({ component, databaseUrl: database.url, dataDir: ':memory:' });
        return {
          db,
          databaseUrl: database.url,
          release: async () => {
            await db.close();
            await database.drop();
          },
        };
      },
    },
  ];
}
