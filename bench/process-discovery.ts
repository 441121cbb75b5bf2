// Finds the stack's processes by command line, so CPU and memory can be read per process, on a stack the bench started or not.
import type { ProcessEntry } from './process-stats.js';

export interface ProcessPattern {
  /** The name the report uses, e.g. "api", "temporal", "rabbitmq". */
  name: string;
  matches(cmdline: string): boolean;
}

const runs = (entry: string): ProcessPattern['matches'] => (cmdline) => cmdline.split(' ').some((word) => word === entry || word.endsWith(`/${entry}`));

/** The processes of a development stack: the dev servers, every component as npm start runs it, and the bench worker. */
export const STACK_PROCESS_PATTERNS: readonly ProcessPattern[] = [
  { name: 'temporal', matches: (cmdline) => /\bserver start-dev\b/.test(cmdline) },
  { name: 'rabbitmq', matches: (cmdline) => /(^|\/)beam\.smp\b/.test(cmdline.split(' ')[0] ?? '') },
  // The postmaster; its backends rename themselves ("postgres: checkpointer") and are measured as its tree.
  { name: 'postgres', matches: (cmdline) => /(^|\/)postgres$/.test(cmdline.split(' ')[0] ?? '') },
  { name: 'api', matches: runs('api/main.ts') },
  // bench/worker/main.ts ends in /worker/main.ts too: without the exclusion a bench worker (a concurrent run's, a stale
  // one) made the stack's worker ambiguous, or was measured as the stack's worker when that one was not running.
  { name: 'worker', matches: (cmdline) => runs('worker/main.ts')(cmdline) && !runs('bench/worker/main.ts')(cmdline) },
  { name: 'payment-provider', matches: runs('payment-provider/main.ts') },
  { name: 'inventory', matches: runs('event-handlers/inventory/main.ts') },
  { name: 'notifications', matches: runs('event-handlers/notifications/main.ts') },
  { name: 'order-outcome', matches: runs('event-handlers/order-outcome/main.ts') },
  { name: 'order-view', matches: runs('event-handlers/order-view/main.ts') },
  { name: 'carrier', matches: runs('carrier/main.ts') },
  { name: 'shipping', matches: runs('event-handlers/shipping/main.ts') },
  { name: 'bench-worker', matches: runs('bench/worker/main.ts') },
];

export interface Discovery {
  /** Name → the pid whose process tree is measured. */
  found: Record<string, number>;
  /** Name → why it is not measured (not running, or more than one candidate). */
  absent: Record<string, string>;
}

/**
 * For each pattern, the topmost matching process (a wrapper such as `npm run api` and the node it starts are one
 * component: the wrapper's tree holds both). `within` limits the search to one process's descendants (a stack the
 * bench started). Two unrelated matches are ambiguous (someone else's stack on the same machine): reported absent.
 */
export function discoverProcesses(processes: readonly ProcessEntry[], patterns: readonly ProcessPattern[], within?: number): Discovery {
  const byPid = new Map(processes.map((entry) => [entry.pid, entry]));
  const ancestors = (entry: ProcessEntry): ProcessEntry[] => {
    const chain: ProcessEntry[] = [];
    for (let parent = byPid.get(entry.ppid); parent && !chain.includes(parent); parent = byPid.get(parent.ppid)) chain.push(parent);
    return chain;
  };
  const candidates = within === undefined ? processes : processes.filter((entry) => entry.pid !== within && ancestors(entry).some((parent) => parent.pid === within));
  const found: Record<string, number> = {};
  const absent: Record<string, string> = {};
  for (const pattern of patterns) {
    const matching = candidates.filter((entry) => pattern.matches(entry.cmdline));
    const topmost = matching.filter((entry) => !ancestors(entry).some((parent) => matching.includes(parent)));
    if (topmost.length === 1) found[pattern.name] = topmost[0]!.pid;
    else absent[pattern.name] = topmost.length === 0 ? 'no such process found' : `${topmost.length} candidates (pids ${topmost.map((entry) => entry.pid).join(', ')}); pass --pids`;
  }
  return { found, absent };
}
