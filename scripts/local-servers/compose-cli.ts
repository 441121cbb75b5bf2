// Finds Docker Compose v2 (for `docker compose config`, which needs no Docker engine), building a pinned release into <repo>/.cache when it is missing.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { installIntoCache } from './binary-cache.js';
import { silentLog, type ProgressLog } from './server-process.js';
import { findOnPath, isExecutable, repositoryRoot } from './temporal-cli.js';

const run = promisify(execFile);

export const COMPOSE_VERSION = '2.40.3';
const COMPOSE_MODULE = 'github.com/docker/compose/v2';

export const composeCacheDirectory = join(repositoryRoot, '.cache', 'compose');
const cachedBinary = join(composeCacheDirectory, `docker-compose-${COMPOSE_VERSION}`);

/** About 3.5 minutes of CPU on two cores, more while the machine is busy; downloads come on top. */
const BUILD_TIMEOUT_MS = 25 * 60_000;

/** The build steps, also printed for a person to run when they cannot be run here. */
export const composeBuildCommands = [
  `go mod download -json ${COMPOSE_MODULE}@v${COMPOSE_VERSION}   # prints the module's "Dir"`,
  `cd <Dir> && GOFLAGS=-mod=mod go build -trimpath -ldflags "-w -X ${COMPOSE_MODULE}/internal.Version=v${COMPOSE_VERSION}" -o ${cachedBinary} ./cmd`,
];

export class ComposeCliNotAvailableError extends Error {
  override readonly name = 'ComposeCliNotAvailableError';
}

/** How to run Compose: a program and the arguments that come before Compose's own (`docker compose …` or `docker-compose …`). */
export interface ComposeCommand {
  program: string;
  prefix: string[];
}

/**
 * Returns a Compose v2: $COMPOSE_CLI, then the Docker CLI's compose plugin, then `docker-compose` v2 on PATH, then the
 * cached build; otherwise builds the pinned release from the Go module proxy into the cache (`go install` refuses
 * Compose's module because its go.mod has exclude directives, so the module is downloaded and built in place).
 */
export async function locateComposeCli(log: ProgressLog = silentLog): Promise<ComposeCommand> {
  const fromEnvironment = process.env.COMPOSE_CLI;
  if (fromEnvironment) {
    if (!(await isExecutable(fromEnvironment))) throw new ComposeCliNotAvailableError(`COMPOSE_CLI=${fromEnvironment} is not an executable file`);
    return { program: resolve(fromEnvironment), prefix: [] };
  }
  const docker = await findOnPath('docker');
  if (docker && (await isComposeV2(docker, ['compose']))) return { program: docker, prefix: ['compose'] };
  const standalone = await findOnPath('docker-compose');
  // Compose v1 (Debian's docker-compose 1.29) predates parts of the specification, the top-level `name:` among them.
  if (standalone && (await isComposeV2(standalone, []))) return { program: standalone, prefix: [] };
  if (await isExecutable(cachedBinary)) return { program: cachedBinary, prefix: [] };
  return { program: await buildIntoCache(log), prefix: [] };
}

async function isComposeV2(program: string, prefix: string[]): Promise<boolean> {
  try {
    const { stdout } = await run(program, [...prefix, 'version', '--short'], { timeout: 30_000 });
    return /^v?(2|[3-9]|\d{2,})\./.test(stdout.trim());
  } catch {
    return false;
  }
}

function buildIntoCache(log: ProgressLog): Promise<string> {
  return installIntoCache({
    directory: composeCacheDirectory,
    binary: cachedBinary,
    what: 'Docker Compose',
    timeoutMs: BUILD_TIMEOUT_MS,
    log,
    install: (staging) => build(staging, log),
    unavailable: notAvailable,
  });
}

/** Builds the pinned release from the Go module proxy into `staging` and returns the binary's path. */
async function build(staging: string, log: ProgressLog): Promise<string> {
  const go = await findOnPath('go', ['/usr/local/go/bin']);
  if (!go) throw notAvailable('`go` was not found on PATH or in /usr/local/go/bin');
  log.info({ version: COMPOSE_VERSION }, 'building Docker Compose from the Go module proxy (a few minutes, once; cached in .cache/compose)');
  const started = Date.now();
  let moduleDirectory: string;
  try {
    const { stdout } = await run(go, ['mod', 'download', '-json', `${COMPOSE_MODULE}@v${COMPOSE_VERSION}`], { timeout: BUILD_TIMEOUT_MS, cwd: staging });
    moduleDirectory = (JSON.parse(stdout) as { Dir: string }).Dir;
  } catch (error) {
    throw notAvailable(`go mod download failed: ${lastLines(error)}`);
  }
  const output = join(staging, 'docker-compose');
  try {
    await run(go, ['build', '-trimpath', '-ldflags', `-w -X ${COMPOSE_MODULE}/internal.Version=v${COMPOSE_VERSION}`, '-o', output, './cmd'], {
      cwd: moduleDirectory,
      // The module cache is read-only; -mod=mod lets go resolve the build list without writing go.sum there.
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    throw notAvailable(`go build failed: ${lastLines(error)}`);
  }
  log.info({ seconds: Math.round((Date.now() - started) / 1000) }, 'Docker Compose built');
  return output;
}

function notAvailable(reason: string): ComposeCliNotAvailableError {
  return new ComposeCliNotAvailableError(
    `Docker Compose v2 is not installed and could not be built automatically (${reason}).\n` +
      'Install the Compose plugin (Docker\'s docker-compose-plugin package), or build it with Go:\n' +
      composeBuildCommands.map((command) => `  ${command}`).join('\n') +
      '\nor set COMPOSE_CLI to the path of a Compose v2 binary.',
  );
}

function lastLines(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr;
  const text = stderr && stderr.trim() !== '' ? stderr : error instanceof Error ? error.message : String(error);
  return text.trim().split('\n').slice(-3).join(' | ');
}
