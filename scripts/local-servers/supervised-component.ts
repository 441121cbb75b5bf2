// A component process under a local stack's supervisor: its output prefixed, restarted with back-off when it crashes, stopped gracefully; and the stack's answer to stop signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { settlesWithin } from './server-process.js';
import type { StackTerminal } from './stack-terminal.js';
import { repositoryRoot } from './temporal-cli.js';

const CRASH_WINDOW_MS = 60_000;
const MAX_CRASHES_IN_WINDOW = 5;
const MAX_RESTART_DELAY_MS = 15_000;

export class SupervisedComponent {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private crashes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly terminal: StackTerminal,
    readonly name: string,
    private readonly entry: string,
    private readonly index: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly giveUp: (reason: string) => void,
    /** Output lines not worth showing (at that moment). */
    private readonly isNoise: (line: string) => boolean = () => false,
  ) {}

  start(): void {
    // A start deferred until something was ready (the worker's bundle) may come after the stack began stopping.
    if (this.stopping) return;
    // Its own process group: Ctrl-C in the terminal reaches only the supervisor, which stops children in order.
    const child = spawn(process.execPath, ['--import', 'tsx', this.entry], {
      cwd: repositoryRoot,
      env: this.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // The pid lets an operator (or a test) signal one component without guessing which node process it is.
    if (child.pid !== undefined) this.terminal.say(`started ${this.name} (pid ${child.pid})`);
    const label = this.terminal.prefix(this.name, this.index);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (this.isNoise(line)) return;
        process.stdout.write(`${this.terminal.formatChildLine(line).split('\n').map((part) => `${label}${part}`).join('\n')}\n`);
      });
    }
    this.exited = new Promise((resolveExit) => {
      child.once('error', (error) => {
        this.terminal.say(`${this.name} could not be started: ${error.message}`);
      });
      child.once('close', (code, signal) => {
        resolveExit();
        if (this.child === child) this.child = undefined;
        if (!this.stopping) this.onUnexpectedExit(code, signal);
      });
    });
  }

  private onUnexpectedExit(code: number | null, signal: NodeJS.Signals | null): void {
    const now = Date.now();
    this.crashes = [...this.crashes.filter((time) => now - time < CRASH_WINDOW_MS), now];
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (this.crashes.length >= MAX_CRASHES_IN_WINDOW) {
      this.giveUp(`${this.name} exited ${this.crashes.length} times within a minute (last: ${how}); giving up`);
      return;
    }
    const wait = Math.min(MAX_RESTART_DELAY_MS, 1_000 * 2 ** (this.crashes.length - 1));
    this.terminal.say(`${this.name} exited unexpectedly (${how}); restarting in ${wait / 1000}s`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) this.start();
    }, wait);
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const pid = this.child?.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    if (!(await settlesWithin(this.exited, graceMs))) {
      this.terminal.say(`${this.name} did not stop within ${Math.round(graceMs / 1000)}s; killing it`);
      signalGroup(pid, 'SIGKILL');
      await settlesWithin(this.exited, 5_000);
    }
  }

  kill(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.child?.pid !== undefined) signalGroup(this.child.pid, 'SIGKILL');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Copies of one signal arriving this close together are one request to stop, not an impatient second one. */
const SIGNAL_ECHO_MS = 1_000;

/**
 * How a local stack answers Ctrl-C (and SIGTERM, SIGHUP): the first signal stops it gracefully; a second one, not the
 * echo of the first, kills everything now. One Ctrl-C arrives twice: from the terminal and relayed by the tsx (and
 * npm) wrappers around the supervisor.
 */
export function onStopSignals(handlers: { graceful: (signal: NodeJS.Signals) => void; immediate: (signal: NodeJS.Signals) => void }): void {
  let firstSignalAt: number | undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (firstSignalAt !== undefined && Date.now() - firstSignalAt < SIGNAL_ECHO_MS) return;
      if (firstSignalAt !== undefined) {
        handlers.immediate(signal);
        return;
      }
      firstSignalAt = Date.now();
      handlers.graceful(signal);
    });
  }
}
