// Runs a local PostgreSQL server (initdb + postgres) on its own port and data dir, trusting 127.0.0.1 only.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { spawnServer, waitUntilReady, type ExitWatch, type ProgressLog, type RestartableServer } from './server-process.js';
import { findOnPath, isExecutable } from './temporal-cli.js';

const run = promisify(execFile);

export interface PostgresOptions {
  /** initdb fills it when it holds no cluster yet; with keepData, a cluster an earlier start made is used again. */
  dataDir: string;
  /**
   * Data that outlives the server (npm start's): an existing cluster is started again, and writes reach the disk, except
   * that a commit does not wait for it (a crash may lose the last moments, never corrupt). As root, where the postgres
   * user cannot reach dataDir, the data lives where keptDataDirectory says, and the log says so. Without it the data is
   * throwaway (tests, start:cluster): no syncs at all, and initdb always runs.
   */
  keepData?: boolean;
  port: number;
  /** @default 200 */
  maxConnections?: number;
  log: ProgressLog;
  /** @default 60_000 */
  readyTimeoutMs?: number;
}

export interface PostgresServer extends RestartableServer {
  /** Admin URL: postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
  /** Resolves if the server process ends, whether stopped or crashed. */
  readonly exited: ExitWatch;
}

export class PostgresNotInstalledError extends Error {
  override readonly name = 'PostgresNotInstalledError';
  constructor() {
    super('PostgreSQL was not found (no initdb/postgres in /usr/lib/postgresql/*/bin or on PATH): install postgresql (Debian: apt-get install postgresql; macOS: brew install postgresql) or set DATABASE_URL');
  }
}

/** The directory holding initdb and postgres: the newest Debian cluster version first, then PATH. */
export async function findPostgresBinaries(): Promise<string | undefined> {
  const debianRoot = '/usr/lib/postgresql';
  const versions = await readdir(debianRoot).catch(() => [] as string[]);
  for (const version of versions.filter((name) => /^\d+(\.\d+)?$/.test(name)).sort((a, b) => Number(b) - Number(a))) {
    const bin = join(debianRoot, version, 'bin');
    if ((await isExecutable(join(bin, 'initdb'))) && (await isExecutable(join(bin, 'postgres')))) return bin;
  }
  // Homebrew's versioned formula (what the installer brings) is keg-only: its binaries are not linked onto PATH.
  const initdb = await findOnPath('initdb', [
    '/opt/homebrew/opt/postgresql@16/bin',
    '/usr/local/opt/postgresql@16/bin',
    '/opt/homebrew/bin',
    '/usr/local/bin',
  ]);
  if (initdb) {
    const bin = resolve(initdb, '..');
    if (await isExecutable(join(bin, 'postgres'))) return bin;
  }
  return undefined;
}

/**
 * Where data kept between starts can live (npm start's): `dataDir` itself, unless this process is root and the
 * postgres user the server then runs as cannot reach it (a repository under /root, a private temporary directory).
 * Then a directory of the postgres user's own, one per `dataDir`, so the next start finds the same data.
 */
export async function keptDataDirectory(dataDir: string): Promise<string> {
  const user = await serverUser();
  if (!user) return resolve(dataDir);
  const parent = resolve(dataDir, '..');
  await mkdir(parent, { recursive: true });
  // `test -x` as that user fails when any directory on the way denies it passage.
  const reachable = await run('test', ['-x', parent], { uid: user.uid, gid: user.gid }).then(() => true, () => false);
  if (reachable) return resolve(dataDir);
  const home = (await run('getent', ['passwd', 'postgres'])).stdout.split(':')[5]?.trim() || '/var/lib/postgresql';
  const ours = join(home, 'ensemble');
  await mkdir(ours, { recursive: true });
  await chown(ours, user.uid, user.gid);
  return join(ours, createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16));
}

/**
 * A new directory under the system's temporary folder that the server can use for its data even as root, when it runs
 * as the postgres user: open to others like a home directory, where mkdtemp's is private to its maker.
 */
export async function temporaryDataParent(prefix: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  await chmod(directory, 0o755);
  return directory;
}

let serverUserLookup: Promise<{ uid: number; gid: number } | undefined> | undefined;
/** PostgreSQL refuses to run as root, so as root it runs as the `postgres` user the package created (looked up once). */
function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  serverUserLookup ??= lookUpServerUser();
  return serverUserLookup;
}

async function lookUpServerUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error('Running as root, PostgreSQL must run as the "postgres" user, which does not exist (the postgresql package creates it)');
  }
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const { port, log } = options;
  const bin = await findPostgresBinaries();
  if (!bin) throw new PostgresNotInstalledError();
  const wanted = resolve(options.dataDir);
  const dataDir = options.keepData ? await keptDataDirectory(wanted) : wanted;
  if (dataDir !== wanted) log.warn({ dataDir }, `PostgreSQL keeps its data in ${dataDir}: the postgres user it runs as (this is root) cannot reach ${wanted}`);
  const user = await serverUser();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (user) await chown(dataDir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid, env: { ...process.env, HOME: dataDir } } : {};

  // initdb writes PG_VERSION; a directory that has it holds a cluster already.
  if (!options.keepData || !existsSync(join(dataDir, 'PG_VERSION'))) {
    await initialiseCluster({ bin, dataDir, asUser, durable: options.keepData ?? false });
  }

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  log.info({ url, dataDir }, 'starting PostgreSQL');
  const durability = options.keepData
    ? ['-c', 'synchronous_commit=off']
    : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const launch = async () => {
    const server = spawnServer(
      'postgres',
      join(bin, 'postgres'),
      [
        '-D', dataDir,
        '-p', String(port),
        '-k', dataDir,
        '-c', 'listen_addresses=127.0.0.1',
        ...durability,
        '-c', `max_connections=${options.maxConnections ?? 200}`,
      ],
      asUser,
    );

    await waitUntilReady(
      server,
      `PostgreSQL (port ${port})`,
      async () => {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => {});
        }
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 250 },
    );
    return server;
  };
  // A restart runs the same server on the same data directory and port, so clients reconnect to the address they know.
  let server = await launch();
  log.info({ url }, 'PostgreSQL ready');

  return {
    url,
    // SIGINT is PostgreSQL's "fast" shutdown: it disconnects clients instead of waiting for them (SIGTERM).
    stop: () => server.stop({ signal: 'SIGINT', graceMs: 15_000 }),
    get exited() {
      return server.exited;
    },
    async restart() {
      server = await launch();
    },
  };
}

/** initdb as the server's user, then a pg_hba.conf that trusts this machine only. */
async function initialiseCluster(options: { bin: string; dataDir: string; asUser: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv }; durable: boolean }): Promise<void> {
  const { bin, dataDir, asUser } = options;
  try {
    const sync = options.durable ? [] : ['--no-sync'];
    await run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', ...sync], {
      ...asUser,
      timeout: 60_000,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `initdb failed for ${dataDir}${asUser.uid !== undefined ? ' (running as user postgres: every parent directory must be readable by it)' : ''}:\n${stderr || String(error)}`,
    );
  }
  // Only this machine may connect, without a password; nothing else is listening.
  await writeFile(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
}
