// The one installer of system packages (RabbitMQ, PostgreSQL, …) that npm start, the test setup and .ci/run share: apt-get or brew, or the exact command.
import { spawn } from 'node:child_process';
import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { delimiter, dirname, join, relative, sep } from 'node:path';

/** A system package the stack needs, and how each package manager calls it. */
export interface SystemPackage {
  /** The Debian/Ubuntu package, e.g. "rabbitmq-server". */
  apt: string;
  /** The Homebrew formula, e.g. "rabbitmq". */
  brew: string;
  /** Why it is needed, said in the one line printed before installing. */
  why: string;
  /** How to do without it, added to the message when it cannot be installed, e.g. "or set AMQP_URL". */
  alternative?: string;
  isInstalled(): Promise<boolean>;
}

export interface InstallOptions {
  /** apt-get's or brew's output goes here, not to the terminal. */
  logFile: string;
  /** Where the one line about what is installed, and the progress dots, are written. */
  out?: { write(text: string): unknown };
  /** PATH (for apt-get, brew, sudo, id) and ENSEMBLE_NO_INSTALL come from here. */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** A dot is printed this often while the package manager runs. @default 2_000 */
  progressIntervalMs?: number;
  /** Debian's switch that keeps a package's service from being started by its install. */
  policyRcPath?: string;
}

export class SystemPackagesError extends Error {
  override readonly name = 'SystemPackagesError';
}

const DEBIAN_POLICY_RC = '/usr/sbin/policy-rc.d';

/**
 * Installs whichever of the packages is missing: with apt-get (as root or through passwordless sudo) on
 * Debian/Ubuntu, with brew on macOS. Where it cannot, or ENSEMBLE_NO_INSTALL=1, it fails with the exact command to
 * run. Does nothing, and prints nothing, when everything is installed.
 */
export async function ensureSystemPackages(packages: SystemPackage[], options: InstallOptions): Promise<void> {
  const missing: SystemPackage[] = [];
  for (const candidate of packages) if (!(await candidate.isInstalled())) missing.push(candidate);
  if (missing.length === 0) return;

  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const out = options.out ?? process.stdout;
  const manager = await packageManager(platform, env);

  if (env.ENSEMBLE_NO_INSTALL === '1') {
    throw new SystemPackagesError(`${notInstalled(missing)} (ENSEMBLE_NO_INSTALL=1 turns installing off). Install ${missing.length > 1 ? 'them' : 'it'} with:\n  ${manualCommand(manager, missing)}${alternatives(missing)}`);
  }
  if (!manager) {
    throw new SystemPackagesError(`${notInstalled(missing)}. Install ${missing.length > 1 ? 'them' : 'it'} with:\n  ${manualCommand(undefined, missing)}${alternatives(missing)}`);
  }

  const names = missing.map((item) => item[manager.kind]);
  const asRoot = manager.kind === 'apt' ? await rootPrefix(env) : [];
  if (!asRoot) {
    throw new SystemPackagesError(
      `${notInstalled(missing)}, and installing needs root or passwordless sudo. Run:\n  ${manualCommand(manager, missing)}\nthen start again${alternatives(missing)}`,
    );
  }

  await mkdir(dirname(options.logFile), { recursive: true });
  // Inside the project the short path reads better (.data/system-packages.log); elsewhere the full one.
  const shownLog = options.logFile.startsWith(`${process.cwd()}${sep}`) ? relative(process.cwd(), options.logFile) : options.logFile;
  out.write(`installing ${names.join(' ')} with ${manager.kind === 'apt' ? 'apt-get' : 'brew'}: ${missing.map((item) => item.why).join('; ')} (log: ${shownLog}) `);
  const started = Date.now();
  const progress = setInterval(() => out.write('.'), options.progressIntervalMs ?? 2_000);
  try {
    if (manager.kind === 'apt') await aptInstall(names, asRoot, env, options);
    else await run(manager.path, ['install', ...names], env, options.logFile);
  } catch (error) {
    out.write(' failed\n');
    const tail = (await readFile(options.logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-15).join('\n');
    throw new SystemPackagesError(
      `Installing ${names.join(' ')} failed: ${error instanceof Error ? error.message : String(error)}\nThe last lines of ${options.logFile}:\n${tail}\nRun it yourself with:\n  ${manualCommand(manager, missing)}`,
    );
  } finally {
    clearInterval(progress);
  }
  out.write(` done in ${Math.round((Date.now() - started) / 1000)}s\n`);

  const stillMissing: SystemPackage[] = [];
  for (const item of missing) if (!(await item.isInstalled())) stillMissing.push(item);
  if (stillMissing.length > 0) {
    throw new SystemPackagesError(`${notInstalled(stillMissing)} even after installing it (see ${options.logFile})${alternatives(stillMissing)}`);
  }
}

type Manager = { kind: 'apt' | 'brew'; path: string };

async function packageManager(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Promise<Manager | undefined> {
  if (platform === 'linux') {
    const aptGet = await which('apt-get', env);
    return aptGet ? { kind: 'apt', path: aptGet } : undefined;
  }
  if (platform === 'darwin') {
    const brew = await which('brew', env, ['/opt/homebrew/bin', '/usr/local/bin']);
    return brew ? { kind: 'brew', path: brew } : undefined;
  }
  return undefined;
}

/** [] as root, ['sudo', '-n'] where sudo needs no password, undefined where neither works. */
async function rootPrefix(env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  const uid = await capture('id', ['-u'], env);
  if (uid?.trim() === '0') return [];
  if ((await which('sudo', env)) && (await capture('sudo', ['-n', 'true'], env)) !== undefined) return ['sudo', '-n'];
  return undefined;
}

async function aptInstall(names: string[], asRoot: string[], env: NodeJS.ProcessEnv, options: InstallOptions): Promise<void> {
  const asAdmin = (command: string[]) => run(asRoot[0] ?? command[0]!, [...asRoot.slice(1), ...(asRoot.length > 0 ? command : command.slice(1))], env, options.logFile);
  // The packages' own services are never used (npm start and the tests run nodes of their own on other ports),
  // so they must not start at install: policy-rc.d answering 101 is Debian's way to say so. One already there is kept.
  const policy = options.policyRcPath ?? DEBIAN_POLICY_RC;
  const addedPolicy = !(await exists(policy));
  if (addedPolicy) await asAdmin(['sh', '-c', `printf '#!/bin/sh\\nexit 101\\n' > '${policy}' && chmod 755 '${policy}'`]);
  try {
    await asAdmin(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update', '-q']);
    await asAdmin(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...names]);
  } finally {
    if (addedPolicy) await asAdmin(['rm', '-f', policy]);
  }
}

/** The command a person would type; the same one this installer runs, so it is known to work. */
function manualCommand(manager: Manager | undefined, missing: SystemPackage[]): string {
  const apt = `sudo apt-get install -y ${missing.map((item) => item.apt).join(' ')}`;
  const brew = `brew install ${missing.map((item) => item.brew).join(' ')}`;
  if (manager?.kind === 'apt') return apt;
  if (manager?.kind === 'brew') return brew;
  return `${apt}   (Debian/Ubuntu)\n  ${brew}   (macOS)`;
}

function notInstalled(missing: SystemPackage[]): string {
  return `${missing.map((item) => item.apt).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed`;
}

function alternatives(missing: SystemPackage[]): string {
  const given = missing.flatMap((item) => (item.alternative ? [item.alternative] : []));
  return given.length > 0 ? `\n(${given.join('; ')})` : '';
}

/** Runs a command with its output appended to the log; rejects naming the command and its exit. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(`\n$ ${[command, ...args].join(' ')}\n`);
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.once('error', (error) => log.end(() => reject(error)));
    child.once('close', (code, signal) => {
      log.end(() => (code === 0 ? resolve() : reject(new Error(`\`${[command, ...args].join(' ')}\` exited with ${signal ?? `code ${code}`}`))));
    });
  });
}

/** A command's stdout, or undefined when it cannot run or fails. */
function capture(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.once('error', () => resolve(undefined));
    child.once('close', (code) => resolve(code === 0 ? text : undefined));
  });
}

async function which(program: string, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<string | undefined> {
  for (const directory of [...(env.PATH ?? '').split(delimiter), ...extra].filter((entry) => entry !== '')) {
    const candidate = join(directory, program);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
