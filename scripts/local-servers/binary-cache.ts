// Installs a tool's binary into .cache/<tool>/ once, even when several processes ask at once: a lock, a staging directory, an atomic rename.
import { chmod, mkdir, mkdtemp, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { delay, type ProgressLog } from './server-process.js';

export interface CacheInstall {
  /** The cache directory, e.g. <repo>/.cache/temporal. */
  directory: string;
  /** Where the finished binary lives inside it. */
  binary: string;
  /** What is installed, for messages: "the Temporal CLI". */
  what: string;
  /** How long an install may take; a lock older than this (plus a minute) was left by a killed installer. */
  timeoutMs: number;
  log: ProgressLog;
  /** Puts the binary somewhere under `staging` and returns its path; undefined (or a throw) when it could not. */
  install: (staging: string) => Promise<string | undefined>;
  /** The error to throw when it cannot be had: no install worked, or another install never finished. */
  unavailable: (reason: string) => Error;
}

export async function installIntoCache(options: CacheInstall): Promise<string> {
  const { directory, binary, log } = options;
  const lock = join(directory, 'install.lock');
  await mkdir(directory, { recursive: true });
  await acquireLock(lock, options);
  try {
    // Another process may have finished the install while we waited for the lock.
    if (await isFile(binary)) return binary;
    const staging = await mkdtemp(join(directory, 'staging-'));
    try {
      const installed = await options.install(staging);
      if (!installed) throw options.unavailable(`no way to install ${options.what} worked`);
      await chmod(installed, 0o755);
      // rename() is atomic, so a concurrent reader sees either no binary or a complete one.
      await rename(installed, binary);
      log.info({ path: binary }, `${options.what} installed`);
      return binary;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  } finally {
    await rmdir(lock).catch(() => {});
  }
}

async function acquireLock(lock: string, options: CacheInstall): Promise<void> {
  const staleMs = options.timeoutMs + 60_000;
  const deadline = Date.now() + staleMs;
  let announced = false;
  for (;;) {
    try {
      await mkdir(lock);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
    if (age > staleMs) {
      options.log.warn({ lock }, `removing a stale lock left by an install of ${options.what}`);
      await rmdir(lock).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) {
      throw options.unavailable(`timed out waiting for another install of ${options.what} (lock ${lock}; remove it if no install is running)`);
    }
    if (!announced) {
      options.log.info(`another process is installing ${options.what}; waiting for it`);
      announced = true;
    }
    await delay(1_000);
  }
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isFile(), () => false);
}
