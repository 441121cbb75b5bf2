// A server child process the local stack owns: its own process group, a tail of its output, bounded waits and stop.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** What the local-server helpers report progress through; a pino logger fits, so does a terminal printer. */
export interface ProgressLog {
  info(details: object | string, message?: string): void;
  warn(details: object | string, message?: string): void;
}

export const silentLog: ProgressLog = { info: () => {}, warn: () => {} };

/** Resolves when a started server's process has gone, so a supervisor can notice a crash. */
export type ExitWatch = Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

/**
 * A server its supervisor can bring back after a crash, as systemd or Kubernetes would: the same command on the same
 * data, ports and configuration. `exited` always watches the current run, so it is read again after each restart.
 */
export interface RestartableServer {
  readonly exited: ExitWatch;
  /** Starts the server again and resolves once it answers; rejects (with its output) if it cannot. */
  restart(): Promise<void>;
}

export interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** The last lines it printed, for error messages. */
  outputTail(lines?: number): string;
  /** Signals the whole process group, waits up to graceMs, then kills the group. */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<void>;
}

const TAIL_LIMIT = 200;

/**
 * Spawns a server detached into its own process group, so Ctrl-C in a terminal reaches only our supervisor
 * and stop() can reach the server's own children (beam's helpers, runuser's child) too.
 */
export function spawnServer(name: string, command: string, args: string[], options: SpawnOptions = {}): ServerProcess {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  let partial = '';
  const collect = (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    tail.push(...lines.filter((line) => line.trim() !== ''));
    if (tail.length > TAIL_LIMIT) tail.splice(0, tail.length - TAIL_LIMIT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => {
      tail.push(`${name}: ${error.message}`);
      exitedFlag = true;
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
  });

  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };

  // Detached servers outlive us unless told; if our process exits without stopping them (a test run
  // interrupted, a crash), they are killed rather than left holding ports.
  const killOnExit = () => signalGroup('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  return {
    name,
    child,
    exited,
    hasExited: () => exitedFlag,
    outputTail: (lines = 30) => [...tail, ...(partial ? [partial] : [])].slice(-lines).join('\n'),
    async stop({ signal = 'SIGTERM', graceMs = 15_000 } = {}) {
      if (child.pid === undefined) return;
      // The group may outlive its leader (children of the server), so it is signalled even after the leader exited.
      signalGroup(signal);
      if (!exitedFlag) {
        const graceful = await settlesWithin(exited, graceMs);
        if (!graceful) signalGroup('SIGKILL');
      }
      await settlesWithin(exited, 5_000);
      signalGroup('SIGKILL');
    },
  };
}

export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
}

/**
 * Polls probe() until it returns true; fails with the server's output tail when the process exits first or
 * the deadline passes. Every wait in the local stack goes through here, so nothing can hang.
 */
export async function waitUntilReady(
  server: ServerProcess,
  what: string,
  probe: () => Promise<boolean>,
  { timeoutMs = 60_000, intervalMs = 250 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = '';
  while (Date.now() < deadline) {
    if (server.hasExited()) {
      const { code, signal } = await server.exited;
      throw new ServerStartError(
        `${what} exited before it was ready (${signal ? `signal ${signal}` : `exit code ${code}`}). Its last output:\n${indent(server.outputTail())}`,
      );
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await delay(intervalMs);
  }
  await server.stop({ graceMs: 5_000 });
  throw new ServerStartError(
    `${what} was not ready within ${Math.round(timeoutMs / 1000)}s${lastProblem ? ` (last check: ${lastProblem})` : ''}. Its last output:\n${indent(server.outputTail())}`,
  );
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether the promise settles within ms; the timer is cleared either way so it never holds the process open. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function indent(text: string): string {
  return text === '' ? '  (no output)' : text.split('\n').map((line) => `  ${line}`).join('\n');
}
