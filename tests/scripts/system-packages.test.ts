// The shared installer against a fake package manager on PATH (apt-get, brew, sudo, id are the outside world): what it says, logs and runs.
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureSystemPackages, SystemPackagesError, type InstallOptions, type SystemPackage } from '../../scripts/system-packages/installer.js';
import { postgresql, rabbitmq } from '../../scripts/system-packages/packages.js';

/** The few real tools the installer and the fakes use; nothing else of the machine's PATH (no real sudo or apt-get). */
const TOOLS = ['sh', 'env', 'printf', 'chmod', 'rm', 'sleep', 'touch', 'cat', 'tail', 'test', 'true', 'echo'];

let root: string;
let bin: string;
let calls: string;
let installed: string;
let policy: string;
let logFile: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ensemble-installer-'));
  bin = join(root, 'bin');
  calls = join(root, 'calls');
  installed = join(root, 'installed');
  policy = join(root, 'policy-rc.d');
  logFile = join(root, 'data', 'system-packages.log');
  await mkdir(bin);
  await mkdir(installed);
  await writeFile(calls, '');
  for (const tool of TOOLS) {
    const real = ['/usr/bin', '/bin'].map((directory) => join(directory, tool)).find((path) => existsSync(path));
    if (real) await symlink(real, join(bin, tool));
  }
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function fake(name: string, body: string): Promise<void> {
  await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
  await chmod(join(bin, name), 0o755);
}

/** apt-get that records each call (and whether policy-rc.d was in place), takes a moment, then "installs" by marking. */
async function fakeAptGet({ fail = false } = {}): Promise<void> {
  await fake(
    'apt-get',
    [
      `echo "apt-get $* policy=$(test -x '${policy}' && cat '${policy}' | tail -n 1)" >> '${calls}'`,
      'echo "Reading package lists..."',
      'sleep 0.4',
      fail ? 'echo "E: Unable to locate package $3" >&2; exit 100' : '',
      'if [ "$1" = install ]; then for p in "$@"; do case "$p" in -*|install) ;; *) touch "' + installed + '/$p"; echo "Setting up $p";; esac; done; fi',
    ].join('\n'),
  );
}

const asUser = (uid: number) => fake('id', `[ "$1" = -u ] && echo ${uid}`);

function needed(apt: string, brew = `${apt}-formula`): SystemPackage {
  return { apt, brew, why: `the stack needs ${apt}`, alternative: `or set ${apt.toUpperCase()}_URL`, isInstalled: async () => existsSync(join(installed, apt)) || existsSync(join(installed, brew)) };
}

function capture(): { out: InstallOptions['out']; text: () => string } {
  let text = '';
  return { out: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

function options(out: InstallOptions['out'], extra: Partial<InstallOptions> = {}): InstallOptions {
  return { logFile, out, env: { PATH: bin }, platform: 'linux', progressIntervalMs: 50, policyRcPath: policy, ...extra };
}

async function callLines(): Promise<string[]> {
  return (await readFile(calls, 'utf8')).split('\n').filter((line) => line !== '');
}

describe('installing missing system packages', () => {
  it('as root with apt-get: one line saying what and why, dots while it runs, apt output in the log, services kept from starting', async () => {
    await fakeAptGet();
    await asUser(0);
    const { out, text } = capture();

    await ensureSystemPackages([needed('rabbitmq-server'), needed('postgresql')], options(out));

    expect(text()).toMatch(
      new RegExp(`^installing rabbitmq-server postgresql with apt-get: the stack needs rabbitmq-server; the stack needs postgresql \\(log: ${logFile.replace(/[.]/g, '\\.')}\\) \\.+ done in \\d+s\\n$`),
    );
    expect(await callLines()).toEqual([
      'apt-get update -q policy=exit 101',
      'apt-get install -y -q --no-install-recommends rabbitmq-server postgresql policy=exit 101',
    ]);
    expect(existsSync(policy), 'the policy-rc.d it added is removed again').toBe(false);
    const log = await readFile(logFile, 'utf8');
    expect(log).toContain('$ env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server postgresql');
    expect(log).toContain('Setting up rabbitmq-server');
  });

  it('a second run installs nothing and prints nothing', async () => {
    await fakeAptGet();
    await asUser(0);
    await ensureSystemPackages([needed('rabbitmq-server')], options(capture().out));
    await writeFile(calls, '');
    const second = capture();

    await ensureSystemPackages([needed('rabbitmq-server')], options(second.out));

    expect(second.text()).toBe('');
    expect(await callLines()).toEqual([]);
  });

  it('keeps a policy-rc.d that was already there', async () => {
    await fakeAptGet();
    await asUser(0);
    await writeFile(policy, '#!/bin/sh\nexit 0\n', { mode: 0o755 });

    await ensureSystemPackages([needed('postgresql')], options(capture().out));

    expect(await readFile(policy, 'utf8')).toBe('#!/bin/sh\nexit 0\n');
    expect(await callLines()).toContain('apt-get install -y -q --no-install-recommends postgresql policy=exit 0');
  });

  it('not root: goes through passwordless sudo', async () => {
    await fakeAptGet();
    await asUser(1000);
    await fake('sudo', `echo "sudo $*" >> '${calls}'\n[ "$1" = -n ] && shift\nexec "$@"`);

    await ensureSystemPackages([needed('rabbitmq-server')], options(capture().out));

    const lines = await callLines();
    expect(lines).toContain('sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server');
    expect(lines).toContain('apt-get install -y -q --no-install-recommends rabbitmq-server policy=exit 101');
  });

  it('not root and no passwordless sudo: stops with the exact command, installs nothing', async () => {
    await fakeAptGet();
    await asUser(1000);
    await fake('sudo', `echo "sudo $*" >> '${calls}'\necho "sudo: a password is required" >&2\nexit 1`);
    const { out, text } = capture();

    const failure = await ensureSystemPackages([needed('rabbitmq-server')], options(out)).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SystemPackagesError);
    expect((failure as Error).message).toBe(
      'rabbitmq-server is not installed, and installing needs root or passwordless sudo. Run:\n  sudo apt-get install -y rabbitmq-server\nthen start again\n(or set RABBITMQ-SERVER_URL)',
    );
    expect(await callLines()).toEqual(['sudo -n true']);
    expect(text()).toBe('');
  });

  it('ENSEMBLE_NO_INSTALL=1: stops with the exact command and runs no package manager', async () => {
    await fakeAptGet();
    await asUser(0);

    const failure = await ensureSystemPackages([needed('postgresql')], options(capture().out, { env: { PATH: bin, ENSEMBLE_NO_INSTALL: '1' } })).catch(
      (error: unknown) => error,
    );

    expect((failure as Error).message).toBe(
      'postgresql is not installed (ENSEMBLE_NO_INSTALL=1 turns installing off). Install it with:\n  sudo apt-get install -y postgresql\n(or set POSTGRESQL_URL)',
    );
    expect(await callLines()).toEqual([]);
  });

  it('macOS with Homebrew: brew install, no root needed', async () => {
    await fake('brew', `echo "brew $*" >> '${calls}'\nsleep 0.2\ntouch '${installed}/'"$2"`);
    const { out, text } = capture();

    await ensureSystemPackages([needed('rabbitmq-server', 'rabbitmq')], options(out, { platform: 'darwin' }));

    expect(await callLines()).toEqual(['brew install rabbitmq']);
    expect(text()).toMatch(/^installing rabbitmq with brew: the stack needs rabbitmq-server \(log: .*\) \.+ done in \d+s\n$/);
  });

  it('neither apt-get nor brew: stops with the command for each system, as before', async () => {
    const failure = await ensureSystemPackages([needed('rabbitmq-server', 'rabbitmq')], options(capture().out)).catch((error: unknown) => error);

    expect((failure as Error).message).toBe(
      'rabbitmq-server is not installed. Install it with:\n  sudo apt-get install -y rabbitmq-server   (Debian/Ubuntu)\n  brew install rabbitmq   (macOS)\n(or set RABBITMQ-SERVER_URL)',
    );
  });

  it('apt-get failing: the error names the command to run and shows the end of the log', async () => {
    await fakeAptGet({ fail: true });
    await asUser(0);
    const { out, text } = capture();

    const failure = await ensureSystemPackages([needed('rabbitmq-server')], options(out)).catch((error: unknown) => error);

    const message = (failure as Error).message;
    expect(message).toContain('Installing rabbitmq-server failed: `env DEBIAN_FRONTEND=noninteractive apt-get update -q` exited with code 100');
    expect(message).toContain(`The last lines of ${logFile}:`);
    expect(message).toContain('E: Unable to locate package');
    expect(message).toMatch(/Run it yourself with:\n {2}sudo apt-get install -y rabbitmq-server$/);
    expect(text()).toMatch(/ failed\n$/);
    expect(existsSync(policy)).toBe(false);
  });
});

describe('the packages the stack uses', () => {
  it('are found where the starters look for them (this machine has both, so nothing is installed)', async () => {
    expect(await rabbitmq.isInstalled()).toBe(true);
    expect(await postgresql.isInstalled()).toBe(true);
  });
});
