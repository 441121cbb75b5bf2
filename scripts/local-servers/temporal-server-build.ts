// Finds the Temporal server (not the dev server), its schema tool and its PostgreSQL schemas, building a pinned release into <repo>/.cache once.
import { execFile } from 'node:child_process';
import { cp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installIntoCache } from './binary-cache.js';
import { silentLog, type ProgressLog } from './server-process.js';
import { findOnPath, isExecutable, repositoryRoot } from './temporal-cli.js';

const run = promisify(execFile);

export const TEMPORAL_SERVER_VERSION = '1.32.2';
const SERVER_MODULE = 'go.temporal.io/server';

export const temporalServerCacheDirectory = join(repositoryRoot, '.cache', 'temporal-server');

/** Where one release's pieces live in the cache; the server binary is written last, so its presence means all are there. */
export function temporalServerFiles(version = TEMPORAL_SERVER_VERSION, directory = temporalServerCacheDirectory) {
  return {
    server: join(directory, `temporal-server-${version}`),
    sqlTool: join(directory, `temporal-sql-tool-${version}`),
    /** The module's schema/postgresql/v12: `temporal/versioned` and `visibility/versioned`, as the schema tool reads them. */
    postgresSchemas: join(directory, `schema-${version}`, 'postgresql', 'v12'),
  };
}

/** About six minutes on two cores with the downloads, more while the machine is busy. */
const BUILD_TIMEOUT_MS = 30 * 60_000;

/** The build, also printed for a person to run when it cannot be run here. */
export const temporalServerBuildCommand =
  `GOTOOLCHAIN=auto nice -n 10 go install ${SERVER_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION} ${SERVER_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`;

export class TemporalServerNotAvailableError extends Error {
  override readonly name = 'TemporalServerNotAvailableError';
}

export interface TemporalServerInstall {
  server: string;
  sqlTool: string;
  postgresSchemas: string;
}

/** Returns the cached build of the pinned release, building it first when it is missing. */
export async function locateTemporalServer(log: ProgressLog = silentLog): Promise<TemporalServerInstall> {
  const files = temporalServerFiles();
  if (!(await isExecutable(files.server))) {
    await installIntoCache({
      directory: temporalServerCacheDirectory,
      binary: files.server,
      what: `the Temporal server ${TEMPORAL_SERVER_VERSION}`,
      timeoutMs: BUILD_TIMEOUT_MS,
      log,
      install: (staging) => build(staging, log),
      unavailable: notAvailable,
    });
  }
  return files;
}

/** Builds both commands from the Go module proxy and copies the module's PostgreSQL schemas beside them; returns the server's path. */
async function build(staging: string, log: ProgressLog): Promise<string> {
  const go = await findOnPath('go', ['/usr/local/go/bin']);
  if (!go) throw notAvailable('`go` was not found on PATH or in /usr/local/go/bin');
  const nice = await findOnPath('nice');
  const bin = join(staging, 'bin');
  // The release needs a newer Go than many machines have; GOTOOLCHAIN=auto fetches it through the module proxy.
  const env = { ...process.env, GOBIN: bin, GOTOOLCHAIN: 'auto' };
  const goArgs = ['install', `${SERVER_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`, `${SERVER_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`];
  log.info({ version: TEMPORAL_SERVER_VERSION }, 'building the Temporal server and its schema tool from the Go module proxy (about six minutes, once; cached in .cache/temporal-server)');
  const started = Date.now();
  try {
    // At a lower priority: the build takes every core for minutes, and the machine is often shared.
    await run(nice ?? go, nice ? ['-n', '10', go, ...goArgs] : goArgs, { env, timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, cwd: staging });
  } catch (error) {
    throw notAvailable(`go install failed: ${lastLines(error)}`);
  }
  const files = temporalServerFiles();
  const moduleDirectory = await moduleDirectoryOf(go, env, staging);
  const schemaRoot = join(files.postgresSchemas, '..', '..');
  const stagedSchemas = join(staging, 'schema');
  await cp(join(moduleDirectory, 'schema', 'postgresql', 'v12'), join(stagedSchemas, 'postgresql', 'v12'), { recursive: true });
  // The module cache is read-only, and so would the copy be: a later rebuild could not replace it.
  await run('chmod', ['-R', 'u+w', stagedSchemas]);
  await rm(schemaRoot, { recursive: true, force: true });
  await rename(stagedSchemas, schemaRoot);
  await rename(join(bin, 'sql'), files.sqlTool);
  log.info({ seconds: Math.round((Date.now() - started) / 1000) }, 'Temporal server built');
  return join(bin, 'server');
}

/** The module's directory in the Go module cache, which `go install` just filled; the schema tool reads its schema files from there. */
async function moduleDirectoryOf(go: string, env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  const { stdout } = await run(go, ['mod', 'download', '-json', `${SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`], { env, cwd, timeout: BUILD_TIMEOUT_MS });
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

function notAvailable(reason: string): TemporalServerNotAvailableError {
  return new TemporalServerNotAvailableError(
    `The Temporal server ${TEMPORAL_SERVER_VERSION} is not built and could not be built automatically (${reason}).\n` +
      'It needs Go 1.21 or later (https://go.dev/dl/; Debian: apt-get install golang-go), which fetches the toolchain the release needs. Then run:\n' +
      `  npm run start:cluster          (builds it into ${temporalServerCacheDirectory})\n` +
      `or build it yourself:\n  ${temporalServerBuildCommand}`,
  );
}

function lastLines(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr;
  const text = stderr && stderr.trim() !== '' ? stderr : error instanceof Error ? error.message : String(error);
  return text.trim().split('\n').slice(-3).join(' | ');
}
