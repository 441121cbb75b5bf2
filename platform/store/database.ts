// One database interface over PostgreSQL (pg, when DATABASE_URL is set) and PGlite (embedded default, data under DATA_DIR).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

// BIGINT/COUNT come back as strings from pg; every amount here fits in a JS number, so parse them as numbers.
const pgTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 ? (value: string) => Number(value) : (pg.types.getTypeParser(oid, format as 'text') as (value: string) => unknown)) as typeof pg.types.getTypeParser,
};

class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  constructor(private readonly pool: pg.Pool) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const result = await this.pool.query(sql, params);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        query: async <R>(sql: string, params: unknown[] = []) => {
          const result = await client.query(sql, params);
          return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
        },
      };
      const value = await work(tx);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite';
  constructor(private readonly db: PGlite) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const result = await this.db.query<T>(sql, params);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (transaction) =>
      work({
        query: async <R>(sql: string, params: unknown[] = []) => {
          const result = await transaction.query<R>(sql, params);
          return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
        },
      }),
    );
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export interface DatabaseOptions {
  /** Which component owns this store; names the PGlite directory. */
  component: string;
  databaseUrl?: string;
  /** Where PGlite keeps its files; `:memory:` keeps them in memory (tests). */
  dataDir: string;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
}

/**
 * An embedded store holds one component's few tables, yet PostgreSQL's default 128 MB of shared buffers made every
 * PGlite cost about 270 MB of memory. With 16 MB it costs about 170 MB and runs a 20,000-insert loop no slower (the
 * files are cached by the OS underneath). Still, it is most of a small component's memory: npm start gives every
 * component a PostgreSQL server instead (README, Performance).
 */
const PGLITE_OPTIONS = { postgresqlconf: ['shared_buffers = 16MB', 'wal_buffers = 1MB'] };

/** Opens the component's store: PostgreSQL when a URL is given, otherwise an embedded PGlite under dataDir. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.maxConnections ?? 10,
      application_name: options.component,
      types: pgTypes,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => undefined);
    const database = new PostgresDatabase(pool);
    await database.query('SELECT 1');
    return database;
  }
  if (options.dataDir === ':memory:') return new PgliteDatabase(await PGlite.create(PGLITE_OPTIONS));
  const directory = resolve(join(options.dataDir, 'pglite', options.component));
  mkdirSync(directory, { recursive: true });
  return new PgliteDatabase(await PGlite.create(directory, PGLITE_OPTIONS));
}
