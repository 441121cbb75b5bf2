// `npm run bench` options, parsed and validated once; a bad value stops the bench naming the option.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios/scenario.js';

export interface BenchOptions {
  /** Clients in the closed loop (the open loop's backlog allowance). */
  concurrency: number;
  /** Arrivals per second: an open loop instead of the closed one. */
  rate?: number;
  /** Seconds measured per scenario in each round. */
  durationSeconds: number;
  rounds: number;
  /** Seconds each scenario runs unmeasured before the first round. */
  warmupSeconds: number;
  /** Seconds at the start of every segment that are not counted, while the loop fills. */
  rampSeconds: number;
  scenarios: ScenarioName[];
  quick: boolean;
  /** Drive this already running stack instead of starting one. */
  url?: string;
  /** With --url: where its Temporal and broker are (the broker user must be allowed to declare bench.* and bind to the events exchange). */
  temporalAddress: string;
  amqpUrl: string;
  eventsExchange: string;
  /** With --url: pids to measure, name → pid, where finding them by command line is ambiguous. */
  pids: Record<string, number>;
  outputDir: string;
}

export class BenchOptionsError extends Error {
  override readonly name = 'BenchOptionsError';
}

export const USAGE = `Usage: npm run bench -- [options]
  --concurrency N     clients in the closed loop (default 4)
  --rate R            open loop: R arrivals per second instead of the closed loop
  --duration S        seconds measured per scenario in each round (default 20; --quick 8)
  --rounds N          rounds, each running every scenario in a rotated order (default 3; --quick 2)
  --warmup S          unmeasured seconds per scenario before the first round (default 10; --quick 3)
  --ramp S            uncounted seconds at the start of each segment (default 3; --quick 2)
  --scenarios a,b     a subset of ${SCENARIO_NAMES.join(',')}
  --quick             a short run that finishes within five minutes
  --url URL           drive a running stack's API instead of starting one (with --temporal-address, --amqp-url)
  --temporal-address  Temporal frontend of that stack (default TEMPORAL_ADDRESS or 127.0.0.1:7233)
  --amqp-url          a broker user of that stack allowed to declare bench.* (default AMQP_URL)
  --events-exchange   its events exchange (default EVENTS_EXCHANGE or ensemble.events)
  --pids a=1,b=2      pids to measure on that stack where they cannot be found by command line
  --output DIR        where latest.json and latest.png go (default bench/results)`;

const positiveInt = (option: string) => z.coerce.number({ error: `--${option} must be a number` }).int(`--${option} must be a whole number`).positive(`--${option} must be at least 1`);
const seconds = (option: string, min: number) => z.coerce.number({ error: `--${option} must be a number of seconds` }).min(min, `--${option} must be at least ${min}`);

const schema = z.object({
  concurrency: positiveInt('concurrency').default(4),
  rate: z.coerce.number({ error: '--rate must be a number' }).positive('--rate must be above 0').optional(),
  duration: seconds('duration', 1).optional(),
  rounds: positiveInt('rounds').optional(),
  warmup: seconds('warmup', 0).optional(),
  ramp: seconds('ramp', 0).optional(),
  scenarios: z.string().optional().transform((raw, ctx) => {
    if (raw === undefined) return [...SCENARIO_NAMES];
    const names = raw.split(',').map((name) => name.trim()).filter(Boolean);
    const unknown = names.filter((name) => !(SCENARIO_NAMES as readonly string[]).includes(name));
    if (unknown.length > 0 || names.length === 0) {
      ctx.addIssue({ code: 'custom', message: `--scenarios: unknown ${unknown.join(', ') || '(none given)'}; choose from ${SCENARIO_NAMES.join(', ')}` });
      return z.NEVER;
    }
    return [...new Set(names)] as ScenarioName[];
  }),
  quick: z.boolean().default(false),
  // http(s) only: `localhost:3000` parses as a URL whose scheme is `localhost:`, and the bench would only fail at its first request.
  url: z.url({ protocol: /^https?$/, error: '--url must be a URL such as http://127.0.0.1:3000' }).optional(),
  'temporal-address': z.string().regex(/^[^\s:]+:\d+$/, '--temporal-address must be host:port').optional(),
  'amqp-url': z.string().regex(/^amqps?:\/\//, '--amqp-url must be an amqp:// URL').optional(),
  'events-exchange': z.string().min(1, '--events-exchange must not be empty').optional(),
  pids: z.string().optional().transform((raw, ctx) => {
    if (raw === undefined) return {};
    const pairs = raw.split(',').map((pair) => /^([\w-]+)=(\d+)$/.exec(pair.trim()));
    if (pairs.some((pair) => pair === null)) {
      ctx.addIssue({ code: 'custom', message: '--pids must look like api=1234,worker=5678' });
      return z.NEVER;
    }
    return Object.fromEntries(pairs.map((pair) => [pair![1]!, Number(pair![2])]));
  }),
  output: z.string().min(1, '--output must not be empty').default('bench/results'),
});

export function parseBenchOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        concurrency: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        rounds: { type: 'string' },
        warmup: { type: 'string' },
        ramp: { type: 'string' },
        scenarios: { type: 'string' },
        quick: { type: 'boolean' },
        url: { type: 'string' },
        'temporal-address': { type: 'string' },
        'amqp-url': { type: 'string' },
        'events-exchange': { type: 'string' },
        pids: { type: 'string' },
        output: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new BenchOptionsError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new BenchOptionsError(`${parsed.error.issues.map((issue) => issue.message).join('\n')}\n${USAGE}`);
  const options = parsed.data;
  const quick = options.quick;
  if (!options.url && (options['temporal-address'] || options['amqp-url'] || Object.keys(options.pids).length > 0)) {
    throw new BenchOptionsError('--temporal-address, --amqp-url and --pids describe a running stack: use them with --url');
  }
  return {
    concurrency: options.concurrency,
    ...(options.rate !== undefined ? { rate: options.rate } : {}),
    durationSeconds: options.duration ?? (quick ? 8 : 20),
    rounds: options.rounds ?? (quick ? 2 : 3),
    warmupSeconds: options.warmup ?? (quick ? 3 : 10),
    rampSeconds: options.ramp ?? (quick ? 2 : 3),
    scenarios: options.scenarios,
    quick,
    ...(options.url ? { url: options.url.replace(/\/$/, '') } : {}),
    temporalAddress: options['temporal-address'] ?? env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    amqpUrl: options['amqp-url'] ?? env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    eventsExchange: options['events-exchange'] ?? env.EVENTS_EXCHANGE ?? 'ensemble.events',
    pids: options.pids,
    outputDir: options.output,
  };
}
