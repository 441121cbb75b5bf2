// Per-process CPU and memory for the bench: /proc parsing, process trees, finding a stack's processes, and the monitor over them.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { discoverProcesses, STACK_PROCESS_PATTERNS } from '../../bench/process-discovery.js';
import { listProcesses, listProcStats, parseProcStat, parseProcStatus, processTree, residentBytes, ticksPerSecond, treeMemoryBytes, type ProcessEntry } from '../../bench/process-stats.js';
import { cpuBetween, ResourceMonitor } from '../../bench/resource-monitor.js';

/** Burns at least `seconds` of this process's CPU time (not wall time, which a busy machine stretches). */
function burnCpu(seconds: number): void {
  const start = process.cpuUsage();
  const deadline = Date.now() + 20_000;
  let sink = 0;
  while (Date.now() < deadline) {
    for (let i = 0; i < 100_000; i++) sink += Math.sqrt(i);
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1e6 >= seconds) break;
  }
  expect(sink).toBeGreaterThan(0);
}

const cpuSecondsOfThisProcess = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

describe('parseProcStat', () => {
  it('counts fields from the last parenthesis, so a command name with spaces and parentheses does not shift them', () => {
    // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(25) stime(7) ...
    const line = '4242 (node (tsx) worker) x) S 17 4242 4242 0 -1 4194560 1500 0 3 0 25 7 0 0 20 0 11 0 12345 1000000 2000 18446744073709551615\n';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 17, cpuTicks: 32 });
  });

  it('refuses a line that is not a stat line rather than reporting NaN ticks', () => {
    expect(() => parseProcStat('not a stat line')).toThrow(/unexpected \/proc stat line/);
  });
});

describe('parseProcStatus', () => {
  it('reads resident and peak resident memory in bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseProcStatus(status)).toEqual({ rssBytes: 100 * 2 ** 20, hwmBytes: 200 * 2 ** 20 });
  });

  it('is 0 for a process without memory lines (a zombie or a kernel thread)', () => {
    expect(parseProcStatus('Name:\tkthreadd\nState:\tS (sleeping)\n')).toEqual({ rssBytes: 0, hwmBytes: 0 });
  });
});

describe('processTree', () => {
  const listing = [
    { pid: 1, ppid: 0, cpuTicks: 1 },
    { pid: 10, ppid: 1, cpuTicks: 2 },
    { pid: 11, ppid: 10, cpuTicks: 3 },
    { pid: 12, ppid: 10, cpuTicks: 4 },
    { pid: 13, ppid: 12, cpuTicks: 5 },
    { pid: 20, ppid: 1, cpuTicks: 6 },
    { pid: 21, ppid: 20, cpuTicks: 7 },
  ];

  it('is the process and every descendant at any depth, and nothing beside them', () => {
    expect(processTree(10, listing).map((entry) => entry.pid).sort((a, b) => a - b)).toEqual([10, 11, 12, 13]);
    expect(processTree(13, listing).map((entry) => entry.pid)).toEqual([13]);
  });

  it('is empty for a process that has ended', () => {
    expect(processTree(99, listing)).toEqual([]);
  });
});

describe('reading /proc', () => {
  it('lists this process with its parent and command line', () => {
    const self = listProcStats().find((entry) => entry.pid === process.pid);
    expect(self?.ppid).toBe(process.ppid);
    const cmdline = listProcesses().find((entry) => entry.pid === process.pid)?.cmdline;
    // Words separated by spaces, not the NULs /proc keeps, since the patterns match whole words.
    expect(cmdline).toContain(`${process.execPath} `);
    expect(cmdline).toContain(process.argv[1]);
    expect(cmdline).not.toContain('\0');
  });

  it("sees this process's CPU time grow by what it burnt, in seconds", () => {
    const monitor = new ResourceMonitor({ self: process.pid });
    const outerBefore = cpuSecondsOfThisProcess();
    const before = monitor.cpu();
    burnCpu(0.3);
    const after = monitor.cpu();
    const outer = cpuSecondsOfThisProcess() - outerBefore;
    const used = cpuBetween(before, after).self!;
    // At least most of the 0.3 s (the clock ticks truncate), and not more than the process used around the readings:
    // a wrong ticks-per-second or a wrong field would miss one bound or the other.
    expect(used).toBeGreaterThan(0.2);
    expect(used).toBeLessThanOrEqual(outer + 0.05);
    expect(ticksPerSecond()).toBeGreaterThan(0);
  });

  it("sums resident memory of the given processes and skips one that has ended", () => {
    const rss = process.memoryUsage().rss;
    // A pid above the kernel's maximum: never a live process.
    const bytes = residentBytes([process.pid, 2 ** 23]);
    // The two readings are moments apart; the heap may move a little between them.
    expect(bytes).toBeGreaterThan(rss / 2);
    expect(bytes).toBeLessThan(rss * 2);
  });

  it("counts a tree's shared pages once, split among the processes sharing them, and one process as its resident memory", async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const tree = [process.pid, child.pid!];
      // Two node processes share the node binary's pages at least (with every other node process on the machine, too):
      // summed resident memory counts them in full for each.
      expect(treeMemoryBytes(tree)).toBeGreaterThan(0);
      expect(treeMemoryBytes(tree)).toBeLessThan(residentBytes(tree));
      // One process is its resident memory (read moments apart, so near, not equal).
      expect(Math.abs(treeMemoryBytes([process.pid]) - residentBytes([process.pid]))).toBeLessThan(residentBytes([process.pid]) / 10);
    } finally {
      child.kill();
    }
  });
});

describe('ResourceMonitor', () => {
  it("records the peak memory per process for the scenario it is attributed to, and for no other", () => {
    const monitor = new ResourceMonitor({ self: process.pid });
    try {
      monitor.attribute('http');
      monitor.pause();
      expect(monitor.processNames).toEqual(['self']);
      expect(monitor.peaksOf('http').self).toBeGreaterThan(0);
      expect(monitor.peaksOf('full')).toEqual({});
    } finally {
      monitor.stop();
    }
  });
});

describe('cpuBetween', () => {
  it('is the CPU used per process between two snapshots, never negative (a restarted process starts again from 0)', () => {
    expect(cpuBetween({ api: 1, worker: 5 }, { api: 3.5, worker: 1 })).toEqual({ api: 2.5, worker: 0 });
    // A process first seen in the second snapshot counts from 0.
    expect(cpuBetween({}, { api: 2 })).toEqual({ api: 2 });
  });
});

describe('discoverProcesses', () => {
  const entry = (pid: number, ppid: number, cmdline: string): ProcessEntry => ({ pid, ppid, cpuTicks: 0, cmdline });
  const machine = [
    entry(1, 0, '/sbin/init'),
    // A developer's stack: npm start and what it runs.
    entry(50, 1, 'node --import tsx scripts/start.ts'),
    entry(51, 50, '/usr/local/bin/temporal server start-dev --port 7233 --headless'),
    entry(52, 50, '/usr/lib/erlang/erts-15.2/bin/beam.smp -W w -K true -- -root /usr/lib/erlang -progname erl'),
    // A wrapper and the node it starts: one component.
    entry(53, 50, 'node /work/main/node_modules/.bin/tsx api/main.ts'),
    entry(54, 53, '/usr/bin/node --require /work/main/node_modules/tsx/dist/preflight.cjs --import file:///work/main/node_modules/tsx/dist/loader.mjs api/main.ts'),
    entry(55, 50, 'node --import tsx /work/main/worker/main.ts'),
    // The stack's PostgreSQL: the postmaster, and a backend that renamed itself.
    entry(56, 50, '/usr/lib/postgresql/15/bin/postgres -D /work/main/.data/postgres -p 5433 -k /work/main/.data/postgres'),
    entry(57, 56, 'postgres: checkpointer'),
    // Someone else's worker on the same machine, outside the stack.
    entry(60, 1, 'node --import tsx worker/main.ts'),
    // A bench worker, which is not the stack's worker.
    entry(70, 1, 'node --import tsx bench/worker/main.ts'),
    // Mentions the broker without being it.
    entry(80, 1, 'grep beam.smp'),
  ];

  it('takes the topmost match, so a wrapper and the process it starts are measured once, as one tree', () => {
    const { found } = discoverProcesses(machine, STACK_PROCESS_PATTERNS);
    expect(found).toMatchObject({ api: 53, temporal: 51, rabbitmq: 52, postgres: 56, 'bench-worker': 70 });
  });

  it('reports two unrelated matches absent, asking for --pids, instead of measuring a guess', () => {
    const { found, absent } = discoverProcesses(machine, STACK_PROCESS_PATTERNS);
    expect(found.worker).toBeUndefined();
    expect(absent.worker).toBe('2 candidates (pids 55, 60); pass --pids');
    expect(absent.inventory).toBe('no such process found');
  });

  it("looks only among a given process's descendants when told to, so another stack's processes are not taken", () => {
    const { found, absent } = discoverProcesses(machine, STACK_PROCESS_PATTERNS, 50);
    expect(found).toMatchObject({ api: 53, worker: 55, temporal: 51, rabbitmq: 52 });
    expect(absent['bench-worker']).toBe('no such process found');
  });

  it('counts descendants only, not the process the search is limited to', () => {
    // Within the api wrapper, the api is the node it started.
    expect(discoverProcesses(machine, STACK_PROCESS_PATTERNS, 53).found).toEqual({ api: 54 });
    // Within PostgreSQL, nothing: a backend's renamed command line is not the postmaster's.
    expect(discoverProcesses(machine, STACK_PROCESS_PATTERNS, 56).found).toEqual({});
  });
});
