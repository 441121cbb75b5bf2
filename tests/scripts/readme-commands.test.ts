// The README's set-up commands, run the way a newcomer (and .ci/run) runs them: in a fresh clone of the committed HEAD.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configVariables } from '../../platform/config.js';
import { findFreePort } from '../../scripts/local-servers/ports.js';
import { temporaryDataParent } from '../../scripts/local-servers/postgres-server.js';
import { repositoryRoot } from '../../scripts/local-servers/temporal-cli.js';
import { eventually } from '../support/broker.js';
import { call } from '../support/http.js';
import { exitWithin, killGroup, killSupervisor, spawnCaptured, tail, type Supervised } from '../support/supervisor.js';

const readme = readFileSync(join(repositoryRoot, 'README.md'), 'utf8');
const ciScript = readFileSync(join(repositoryRoot, '.ci/run'), 'utf8');

/** The fenced code blocks of a markdown text, with the language each is marked with. */
function codeBlocks(markdown: string): { language: string; body: string; before: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    language: match[1]!,
    body: match[2]!,
    before: markdown.slice(0, match.index),
  }));
}

/** The README's first shell block is the set-up: its commands, without the comments explaining them. */
function setUpCommands(): string[] {
  const block = codeBlocks(readme).find(({ language }) => language === 'sh');
  if (!block) throw new Error('README.md has no ```sh block');
  return block.body
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
}

/** The order the README's "Try it" block places with curl: its Idempotency-Key and its JSON body. */
function readmeOrder(): { key: string; body: Record<string, unknown> } {
  const block = codeBlocks(readme).find(({ language, before }) => language === 'sh' && /Try it:\s*$/.test(before));
  if (!block) throw new Error('README.md has no ```sh block after "Try it:"');
  const curl = /curl [^\n]*localhost:3000\/orders [^\n]*-H 'Idempotency-Key: ([^']+)'[^\n]*-d '([^']+)'/.exec(block.body);
  if (!curl) throw new Error(`the "Try it" block places no order with curl:\n${block.body}`);
  if (!curl[0].includes('-H "Authorization: Bearer $TOKEN"')) throw new Error(`the "Try it" order carries no bearer token:\n${curl[0]}`);
  return { key: curl[1]!, body: JSON.parse(curl[2]!) as Record<string, unknown> };
}

/** The customer token npm start's banner prints, which the README's "Try it" tells the reader to use. */
function bannerCustomerToken(output: string): { customerId: string; authorization: string } {
  const line = /^\S*\s*\|\s+customer (\S+)\s+(\S+)$/m.exec(output);
  if (!line) throw new Error(`npm start printed no customer token:\n${tail(output)}`);
  return { customerId: line[1]!, authorization: `Bearer ${line[2]!}` };
}

/** Variables of the surrounding test run that would change what npm does or what the clone's servers are. */
function freshEnvironment(settings: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([name]) =>
      // npm passes its configuration to scripts as npm_config_*; a nested npm would take it (local_prefix included) as its own.
      !/^npm_/i.test(name) &&
      !['INIT_CWD', 'NODE_ENV', 'TEST', 'TEMPORAL_CLI', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'RABBITMQ_PORT', 'RABBITMQ_MANAGEMENT_PORT', 'POSTGRES_PORT'].includes(name) &&
      !name.startsWith('VITEST') &&
      // A DATABASE_URL or AMQP_URL from the developer's shell would make the clone use their servers instead of starting its own.
      !(configVariables as string[]).includes(name),
  );
  return { ...Object.fromEntries(inherited), NO_COLOR: '1', CI: 'true', ...settings };
}

/**
 * What npm start in the clone started and is still running: processes working in the clone (the components) or naming
 * it on their command line (the dev servers, whose data lives there). Erlang's port mapper daemon is shared by every
 * RabbitMQ node on the machine, so it is never counted.
 */
function processesNaming(directory: string): { pid: number; commandLine: string }[] {
  const found: { pid: number; commandLine: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (/(^|\/)epmd( |$)/.test(commandLine)) continue;
      const workingIn = readlinkSync(`/proc/${entry}/cwd`);
      if (commandLine.includes(directory) || workingIn === directory || workingIn.startsWith(`${directory}/`)) found.push({ pid: Number(entry), commandLine });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** Kills what outlived a failed run: npm start's dev servers run in process groups of their own. */
function killLeftovers(directory: string): void {
  for (const { pid } of processesNaming(directory)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

describe('the README set-up', () => {
  it('is exactly the documented commands: npm install, npm start, npm test', () => {
    expect(setUpCommands()).toEqual(['npm install', 'npm start', 'npm test']);
  });

  it('is what .ci/run runs: npm ci (the lock-file-exact npm install) and the README\'s test command', () => {
    const commands = ciScript
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line !== '');
    expect(commands.some((line) => /^npm ci(\s|$)/.test(line))).toBe(true);
    const testCommand = setUpCommands().find((command) => command.startsWith('npm test'))!;
    expect(commands.some((line) => line === testCommand || line.startsWith(`${testCommand} `))).toBe(true);
  });
});

describe('the README commands in a fresh clone of HEAD', () => {
  const { temporalCliPath } = inject('infrastructure');
  let parent: string;
  let clone: string;
  let running: Supervised | undefined;
  let cloneCommit: string;

  /** Runs a command in the clone to completion, in its own process group so a timeout takes all of it down. */
  async function runInClone(command: string, args: string[], timeoutMs: number, env = freshEnvironment({ TEMPORAL_CLI: temporalCliPath })) {
    const started = Date.now();
    const child = spawnCaptured(command, args, { cwd: clone, env });
    try {
      const { code } = await exitWithin(child, timeoutMs);
      return { code, output: child.output(), seconds: (Date.now() - started) / 1000 };
    } finally {
      killGroup(child.process.pid);
    }
  }

  beforeAll(async () => {
    // As root, npm start's PostgreSQL runs as the postgres user, and keeps its data in the clone only where that user
    // can reach it (elsewhere, in its own home, which rm would not clean up).
    parent = await temporaryDataParent('ensemble-readme-');
    clone = join(parent, 'ensemble');
    // What is committed, nothing else: uncommitted changes and ignored files (.cache, .data, node_modules) stay behind.
    cloneCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repositoryRoot, encoding: 'utf8' }).trim();
    execFileSync('git', ['clone', '--quiet', '--no-checkout', repositoryRoot, clone], { stdio: 'pipe' });
    execFileSync('git', ['checkout', '--quiet', '--detach', cloneCommit], { cwd: clone, stdio: 'pipe' });
  }, 120_000);

  afterAll(async () => {
    await killSupervisor(running);
    if (clone) killLeftovers(clone);
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  it('npm install installs the dependencies and leaves the clone unchanged', async () => {
    // The registry is reachable but the test should not download what npm's cache already holds.
    const { code, output, seconds } = await runInClone('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], 8 * 60_000);
    expect(code, tail(output)).toBe(0);
    console.info(`npm install in a fresh clone took ${seconds.toFixed(1)}s`);
    expect(existsSync(join(clone, 'node_modules', '.bin', 'tsx'))).toBe(true);
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' })).toBe('');
  }, 9 * 60_000);

  it('npm start runs the whole stack: /ready answers, the README\'s order is CONFIRMED, Ctrl-C stops all of it', async () => {
    // Every port npm start binds, free ones, so the run cannot meet a developer's stack (or another test's) on the defaults.
    const portVariables = [
      ...configVariables.filter((variable) => variable === 'PORT' || variable.endsWith('_PORT')),
      'TEMPORAL_PORT',
      'TEMPORAL_UI_PORT',
      'RABBITMQ_PORT',
      'RABBITMQ_MANAGEMENT_PORT',
      'POSTGRES_PORT',
    ];
    const ports: Record<string, string> = {};
    for (const variable of portVariables) ports[variable] = String(await findFreePort());
    expect(Object.keys(ports)).toContain('PORT');
    const api = `http://127.0.0.1:${ports.PORT}`;
    const started = Date.now();
    // The cached Temporal CLI, so that nothing is downloaded; RabbitMQ is installed already by the global setup.
    running = spawnCaptured('npm', ['start'], { cwd: clone, env: freshEnvironment({ ...ports, TEMPORAL_CLI: temporalCliPath, WORKER_SHUTDOWN_GRACE: '2s' }) });

    await eventually(
      async () => {
        if (running!.process.exitCode !== null) throw new Error(`npm start exited with ${running!.process.exitCode}:\n${tail(running!.output())}`);
        // Anonymously: the shared helper's operator token is signed with the test secret, not the clone's own.
        const ready = await fetch(`${api}/ready`)
          .then(async (response) => ({ status: response.status, body: (await response.json()) }))
          .catch((error: unknown) => ({ status: 0, body: String(error) }));
        expect(ready.status, `GET /ready: ${JSON.stringify(ready.body)}\n${tail(running!.output())}`).toBe(200);
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    console.info(`npm start in a fresh clone answered /ready after ${((Date.now() - started) / 1000).toFixed(1)}s`);

    // The worker verifies carts against its own catalog replica, which may fill a moment after the API's; until then an
    // order is REJECTED, and its answer is replayed for the same key, so each retry takes a key of its own.
    const order = readmeOrder();
    // The banner comes right after the API answers; the clone generated its own secrets, so only its tokens are accepted.
    const customer = await eventually(() => bannerCustomerToken(running!.output()), { timeoutMs: 30_000, intervalMs: 250 });
    expect(order.body.customerId, 'the "Try it" order is placed as the banner\'s customer').toBe(customer.customerId);
    let attempt = 0;
    const placed = await eventually(
      async () => {
        const key = attempt === 0 ? order.key : `${order.key}-${attempt}`;
        attempt += 1;
        const answer = await call<{ orderId: string }>(`${api}/orders`, {
          method: 'POST',
          body: order.body,
          headers: { 'Idempotency-Key': key, authorization: customer.authorization },
        });
        expect(answer.status, `${JSON.stringify(answer.body)}\n${tail(running!.output())}`).toBe(201);
        return answer.body;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    await eventually(
      async () => {
        const answer = await call<{ status: string }>(`${api}/orders/${placed.orderId}`, { headers: { authorization: customer.authorization } });
        expect(answer.body.status, JSON.stringify(answer.body)).toBe('CONFIRMED');
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );

    // Ctrl-C in a terminal signals the foreground process group: npm, its script shell, tsx and the supervisor alike.
    process.kill(-running.process.pid!, 'SIGINT');
    const { code, signal } = await exitWithin(running, 90_000);
    const output = running.output();
    // The supervisor exits 0 (start.test.ts checks it); npm passes that on where its script shell is bash, but a dash
    // script shell (Debian's /bin/sh) got the SIGINT too and, once its child has exited, ends itself by it, which npm
    // mirrors; a terminal shows no difference. Either way npm must outlast the stack: everything stopped before it exits.
    expect([{ code: 0, signal: null }, { code: null, signal: 'SIGINT' }], tail(output)).toContainEqual({ code, signal });
    expect(output).toContain('SIGINT: stopping the stack');
    for (const stopped of ['api', 'worker', 'shipping', 'carrier', 'order-view', 'order-outcome', 'notifications', 'inventory', 'payment-provider', 'Temporal dev server', 'RabbitMQ', 'PostgreSQL']) {
      expect(output, tail(output)).toMatch(new RegExp(`^stack\\s+\\| ${stopped} stopped$`, 'm'));
    }
    expect(output).not.toMatch(/did not stop within/);
    expect(processesNaming(clone), 'processes left running from the clone').toEqual([]);
  }, 8 * 60_000);

  it('npm test runs the suite from the clone (one file of it)', async () => {
    // The whole suite, this file included, would run the clone's npm start and npm install again and take as long as
    // the outer run; one file that needs the servers proves what the clone's command has to: vitest, its global setup
    // installing and starting Temporal, RabbitMQ and PostgreSQL of its own, and a test run against them.
    const { code, output, seconds } = await runInClone('npm', ['test', '--', 'tests/scripts/local-servers.test.ts'], 5 * 60_000);
    expect(code, tail(output)).toBe(0);
    expect(output).toMatch(/Test Files\s+1 passed \(1\)/);
    expect(output).not.toMatch(/skipped/);
    console.info(`npm test -- tests/scripts/local-servers.test.ts in a fresh clone took ${seconds.toFixed(1)}s`);
  }, 6 * 60_000);
});
