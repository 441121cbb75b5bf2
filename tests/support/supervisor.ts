// Runs `npm start`'s supervisor (or any command) as a user would, captures what it prints, and cleans up after it.
import { spawn, type ChildProcess } from 'node:child_process';
import { eventually } from './broker.js';

export interface Supervised {
  process: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved as they arrived. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns a command in a process group of its own, so cleanup can take it down whatever state a failed test left it in. */
export function spawnCaptured(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Supervised {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  return { process: child, output: () => text, exited };
}

/** Polls the output until it matches; a failure shows what was printed. */
export async function waitForOutput(supervised: Supervised, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return eventually(
    () => {
      const match = pattern.exec(supervised.output());
      if (!match) throw new Error(`no ${String(pattern)} within ${timeoutMs} ms; the process printed:\n${tail(supervised.output())}`);
      return match;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

export async function exitWithin(supervised: Supervised, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the process did not exit within ${timeoutMs} ms; it printed:\n${tail(supervised.output())}`)), timeoutMs);
  });
  try {
    return await Promise.race([supervised.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const tail = (text: string) => text.slice(-4_000);

/** Every `started <name> (pid N)` line of npm start's output, in order, restarts included. */
export function startedComponents(output: string): { name: string; pid: number }[] {
  return [...output.matchAll(/started (\S+) \(pid (\d+)\)/g)].map((match) => ({ name: match[1]!, pid: Number(match[2]) }));
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Kills npm start and every component it started (each runs in a process group of its own), then waits for it to exit. */
export async function killSupervisor(supervised: Supervised | undefined): Promise<void> {
  if (!supervised) return;
  killGroup(supervised.process.pid);
  for (const { pid } of startedComponents(supervised.output())) killGroup(pid);
  await exitWithin(supervised, 10_000).catch(() => undefined);
}

/** Text to match literally inside a pattern built around it (instance names like `api#1`, node names with dots). */
export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
