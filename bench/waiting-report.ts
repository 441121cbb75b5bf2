// What `npm run bench:waiting` measures and reports: its options, the memory samples, and the worker's summary.
import { parseArgs } from 'node:util';
import { z } from 'zod';

/** The processes whose memory a waiting order might hold: the worker (its workflow cache), the server, the broker, the stores. */
export const WATCHED = ['worker', 'temporal', 'rabbitmq', 'postgres', 'api', 'inventory'] as const;

const optionsSchema = z.object({
  orders: z.coerce.number().int().min(1).max(100_000).default(10_000),
  concurrency: z.coerce.number().int().min(1).max(64).default(8),
  rest: z.coerce.number().min(0).max(3_600).default(30),
  output: z.string().min(1).default('bench/results'),
  /** Every component's store on this PostgreSQL instead of the one npm start runs (e.g. to try a server's settings). */
  'database-url': z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
});
export type WaitingOptions = z.infer<typeof optionsSchema>;

export function parseWaitingOptions(argv: string[]): WaitingOptions {
  const { values } = parseArgs({ args: argv, options: { orders: { type: 'string' }, concurrency: { type: 'string' }, rest: { type: 'string' }, output: { type: 'string' }, 'database-url': { type: 'string' } }, strict: true });
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'));
  return parsed.data;
}

export interface MemorySample {
  /** Seconds since the run began. */
  at: number;
  phase: 'filling' | 'resting' | 'draining';
  /** Orders whose order.paid was published and whose outcome was not yet. */
  waiting: number;
  /** Resident memory of each watched process tree, MiB. */
  rss: Partial<Record<(typeof WATCHED)[number], number>>;
}

export interface WaitingReport {
  orders: number;
  concurrency: number;
  /** Whose PostgreSQL held the components' stores: the one npm start runs, or one given with --database-url. */
  postgres: 'own' | 'given';
  /** Seconds to place every order and see its order.paid (inventory frozen throughout). */
  fillSeconds: number;
  /** Seconds from inventory's return until every order had its outcome. */
  drainSeconds: number;
  outcomes: Record<string, number>;
  placeErrors: number;
  firstPlaceError?: string;
  worker: {
    beforeMiB: number;
    filledMiB: number;
    /** After resting with every order waiting and nothing moving: higher than filled means it kept growing. */
    restedMiB: number;
    peakMiB: number;
    /** Growth per thousand orders waiting, from a tenth of them waiting to all of them. */
    perThousandWaitingMiB: number;
  };
  samples: MemorySample[];
}

/**
 * The worker's numbers, from the samples: memory held per waiting order, and whether it stopped growing at rest. The
 * slope is taken from a tenth of the orders waiting onwards, so the worker's warm-up (code compiled, caches filled by
 * the first orders) is not counted as memory the waiting orders hold.
 */
export function summariseWorker(samples: readonly MemorySample[], waitingAtFill: number): WaitingReport['worker'] {
  const worker = (sample: MemorySample | undefined) => sample?.rss.worker ?? 0;
  const filling = samples.filter((sample) => sample.phase === 'filling');
  const before = worker(samples[0]);
  const filled = worker(filling.at(-1));
  const rested = worker(samples.filter((sample) => sample.phase === 'resting').at(-1) ?? filling.at(-1));
  const peak = Math.max(0, ...samples.map(worker));
  const from = filling.find((sample) => sample.waiting >= waitingAtFill / 10) ?? samples[0];
  const added = waitingAtFill - (from?.waiting ?? 0);
  const perThousand = added > 0 ? ((filled - worker(from)) * 1000) / added : 0;
  return { beforeMiB: before, filledMiB: filled, restedMiB: rested, peakMiB: peak, perThousandWaitingMiB: Math.round(perThousand * 10) / 10 };
}
