// The local-server helpers where a user sees failures: busy ports, a missing Temporal CLI, and the servers tests run on.
import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import amqp from 'amqplib';
import pg from 'pg';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { assertPortsFree, findFreePort, PortsInUseError } from '../../scripts/local-servers/ports.js';
import { locateTemporalCli } from '../../scripts/local-servers/temporal-cli.js';
import { startTemporalDevServer } from '../../scripts/local-servers/temporal-dev-server.js';
import { createComponentsDatabase } from '../../scripts/local-servers/components-database.js';
import { keptDataDirectory, startPostgres, temporaryDataParent } from '../../scripts/local-servers/postgres-server.js';

const run = promisify(execFile);

describe('port checks before starting the stack', () => {
  let blocker: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
  });

  it('names the busy port, what wanted it and the variable that moves it', async () => {
    blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)));

    const failure = await assertPortsFree([
      { port: await findFreePort(), what: 'payment provider', variable: 'PAYMENT_PROVIDER_PORT' },
      { port, what: 'API', variable: 'PORT' },
    ]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(PortsInUseError);
    expect((failure as Error).message).toBe(`Port ${port} (API, set PORT) is already in use`);
  });

  it('passes when every port is free', async () => {
    await expect(assertPortsFree([{ port: await findFreePort(), what: 'API', variable: 'PORT' }])).resolves.toBeUndefined();
  });
});

describe('free ports for servers started later', () => {
  afterEach(() => vi.restoreAllMocks());

  it('come from below the ephemeral range, where no outgoing connection can take them first', async () => {
    for (let i = 0; i < 20; i++) expect(await findFreePort()).toBeLessThan(32_768);
  });

  it('are never handed out twice, even when the same port is free again', async () => {
    // The same draw twice, then another: the second pick must pass over the port the first handed out.
    const draws = [0.123456, 0.123456, 0.654321];
    vi.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? 0.5);
    const first = await findFreePort();
    const second = await findFreePort();
    expect(second).not.toBe(first);
  });
});

describe('the Temporal CLI', () => {
  it('is found (or installed) and runs', async () => {
    const cli = await locateTemporalCli();
    const { stdout } = await run(cli, ['--version']);
    expect(stdout).toMatch(/^temporal version \d+\.\d+\.\d+/);
  });
});

describe('the Temporal dev server npm start runs', () => {
  /** SQLite's file header: bytes 18 and 19 are the write and read format versions, 2 in write-ahead-log mode, 1 in rollback-journal mode. */
  async function journalFormat(file: string): Promise<number[]> {
    const handle = await open(file, 'r');
    try {
      const { buffer } = await handle.read(Buffer.alloc(20), 0, 20, 0);
      return [buffer[18]!, buffer[19]!];
    } finally {
      await handle.close();
    }
  }

  it.each([
    { pragmas: ['journal_mode=wal', 'synchronous=normal'], format: [2, 2], what: 'in write-ahead-log mode with its pragmas (npm start\'s default)' },
    { pragmas: [], format: [1, 1], what: 'in SQLite\'s own rollback-journal mode with none' },
  ])('keeps its SQLite file $what', { timeout: 120_000 }, async ({ pragmas, format }) => {
    const dir = await mkdtemp(join(tmpdir(), 'ensemble-temporal-sqlite-'));
    const dbFile = join(dir, 'temporal.db');
    const quiet = { info: () => {}, warn: () => {} };
    const server = await startTemporalDevServer({ cliPath: await locateTemporalCli(), port: await findFreePort(), uiPort: await findFreePort(), dbFile, sqlitePragmas: pragmas, log: quiet });
    try {
      expect(await journalFormat(dbFile)).toEqual(format);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the PostgreSQL npm start runs', () => {
  it('keeps its data across starts, with a role and schema per component made again each time', { timeout: 120_000 }, async () => {
    // As root, the server runs as the postgres user, who must be able to reach its directory.
    const dir = await temporaryDataParent('ensemble-postgres-kept-');
    const quiet = { info: () => {}, warn: () => {} };
    const options = { dataDir: join(dir, 'postgres'), port: await findFreePort(), keepData: true, log: quiet };
    const query = async (url: string, sql: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<{ id: number }>(sql)).rows;
      } finally {
        await client.end();
      }
    };
    try {
      let server = await startPostgres(options);
      try {
        const urls = await createComponentsDatabase(server.url);
        await query(urls.inventory, 'CREATE TABLE inventory.kept (id int PRIMARY KEY); INSERT INTO inventory.kept VALUES (1)');
        // Kept data is written to disk, though a commit does not wait for it.
        expect(await query(server.url, 'SHOW fsync')).toEqual([{ fsync: 'on' }]);
        expect(await query(server.url, 'SHOW synchronous_commit')).toEqual([{ synchronous_commit: 'off' }]);
      } finally {
        await server.stop();
      }
      server = await startPostgres(options);
      try {
        const urls = await createComponentsDatabase(server.url);
        expect(await query(urls.inventory, 'SELECT id FROM inventory.kept')).toEqual([{ id: 1 }]);
      } finally {
        await server.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("where npm start's PostgreSQL keeps its data", () => {
  it('in DATA_DIR where the server can reach it; as root behind a private directory, in a folder of the postgres user, the same each time', async () => {
    const open_ = await mkdtemp(join(tmpdir(), 'ensemble-postgres-open-'));
    const private_ = await mkdtemp(join(tmpdir(), 'ensemble-postgres-private-'));
    try {
      await chmod(open_, 0o755);
      await chmod(private_, 0o700);
      expect(await keptDataDirectory(join(open_, 'postgres'))).toBe(join(open_, 'postgres'));
      const moved = await keptDataDirectory(join(private_, 'postgres'));
      if (process.getuid?.() === 0) {
        // Root can reach anything; the postgres user the server runs as cannot pass a directory only root may enter.
        const home = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).split(':')[5]!;
        expect(moved).toMatch(new RegExp(`^${home}/ensemble/[0-9a-f]{16}$`));
        expect(await keptDataDirectory(join(private_, 'postgres'))).toBe(moved);
      } else {
        // Not root: the server runs as this user, who made the directory.
        expect(moved).toBe(join(private_, 'postgres'));
      }
    } finally {
      await rm(open_, { recursive: true, force: true });
      await rm(private_, { recursive: true, force: true });
    }
  });
});

describe('the servers the global setup provides', () => {
  const infrastructure = inject('infrastructure');

  it('serves Temporal with the order search attributes registered', async () => {
    const connection = await Connection.connect({ address: infrastructure.temporalAddress });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['OrderStatus', 'CustomerId', 'OrderTotal']));
    } finally {
      await connection.close();
    }
  });

  it('serves RabbitMQ with the management API reachable by its administrator', async () => {
    const connection = await amqp.connect(infrastructure.amqpUrl);
    await connection.close();
    const management = new URL(infrastructure.amqpManagementUrl);
    const response = await fetch(`${management.origin}/api/overview`, {
      headers: { authorization: `Basic ${Buffer.from(`${decodeURIComponent(management.username)}:${decodeURIComponent(management.password)}`).toString('base64')}` },
    });
    expect(response.status).toBe(200);
  });

  // The node is started the way npm start starts its own (startRabbitNode, users imported at boot), so neither has guest.
  it('refuses guest on RabbitMQ, over AMQP and the management API', async () => {
    const asGuest = new URL(infrastructure.amqpUrl);
    asGuest.username = 'guest';
    asGuest.password = 'guest';
    await expect(amqp.connect(asGuest.toString())).rejects.toThrow(/ACCESS.REFUSED/);
    const management = new URL(infrastructure.amqpManagementUrl);
    const response = await fetch(`${management.origin}/api/overview`, { headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } });
    expect(response.status).toBe(401);
  });

  it('serves PostgreSQL to the admin URL (installed when missing, never skipped)', async () => {
    const client = new pg.Client({ connectionString: infrastructure.postgresUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ answer: number }>('SELECT 1 AS answer');
      expect(rows[0]?.answer).toBe(1);
    } finally {
      await client.end();
    }
  });
});
