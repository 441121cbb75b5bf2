// Per-process CPU and memory from /proc: utime+stime ticks and resident memory of a process and all its descendants.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself contain spaces and
 * parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text.slice(0, text.indexOf(' ')), 10);
  // After ')': state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9) minflt(10) cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15)
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const ppid = Number(fields[1]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(pid) || !Number.isFinite(ppid) || !Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`unexpected /proc stat line: ${text.slice(0, 120)}`);
  }
  return { pid, ppid, cpuTicks: utime + stime };
}

/** Reads `VmRSS` and `VmHWM` (kB in the file) from /proc/<pid>/status, in bytes; 0 when absent (a zombie, a kernel thread). */
export function parseProcStatus(text: string): { rssBytes: number; hwmBytes: number } {
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

let clockTicks: number | undefined;
/** Clock ticks per second (almost always 100 on Linux), asked once. */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    // The process ended between listing and reading.
    return fallback;
  }
}

export interface ProcessEntry extends ProcStat {
  cmdline: string;
}

/** Every process this user can see: pid, parent and CPU ticks. */
export function listProcStats(): ProcStat[] {
  const entries: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readOr(() => parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8')), undefined);
    if (stat) entries.push(stat);
  }
  return entries;
}

/** The same with each process's command line, for finding a stack's processes by what they run. */
export function listProcesses(): ProcessEntry[] {
  return listProcStats().map((stat) => ({
    ...stat,
    cmdline: readOr(() => readFileSync(`/proc/${stat.pid}/cmdline`, 'utf8').split('\0').join(' ').trim(), ''),
  }));
}

/** The pid and every descendant of it, from one listing. */
export function processTree(root: number, processes: readonly ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const entry of processes) children.set(entry.ppid, [...(children.get(entry.ppid) ?? []), entry]);
  const tree: ProcStat[] = [];
  const pending = processes.filter((entry) => entry.pid === root);
  while (pending.length > 0) {
    const next = pending.pop()!;
    tree.push(next);
    pending.push(...(children.get(next.pid) ?? []));
  }
  return tree;
}

/** Resident memory of a set of processes, summed (bytes). */
export function residentBytes(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + readOr(() => parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8')).rssBytes, 0), 0);
}

/**
 * The memory a process tree holds (bytes): one process's resident memory, as every figure in the README counts it; for
 * several, their proportional set sizes, which split each shared page among its sharers. Summed resident memory would
 * count PostgreSQL's shared buffers once per backend that touched them.
 */
export function treeMemoryBytes(pids: readonly number[]): number {
  if (pids.length <= 1) return residentBytes(pids);
  const pss = (pid: number) => Number(/^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024;
  return pids.reduce((sum, pid) => sum + readOr(() => pss(pid), 0), 0);
}
