// The bench worker's settings, read once from its environment: where Temporal and the broker are, and this run's names.
import { z } from 'zod';

const benchWorkerSettings = z.object({
  TEMPORAL_ADDRESS: z.string().min(1),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** As a user allowed to declare the run's exchange and queues (npm start's administrator, the tests' admin). */
  AMQP_URL: z.string().regex(/^amqps?:\/\//, 'expected an amqp:// or amqps:// URL'),
  BENCH_TASK_QUEUE: z.string().min(1),
  BENCH_EXCHANGE: z.string().min(1),
  /** Unacknowledged hop requests the responder holds at once. */
  BENCH_PREFETCH: z.coerce.number().int().positive().default(50),
});
export type BenchWorkerSettings = z.infer<typeof benchWorkerSettings>;

export class BenchWorkerSettingsError extends Error {
  override readonly name = 'BenchWorkerSettingsError';
}

export function parseBenchWorkerSettings(env: NodeJS.ProcessEnv = process.env): BenchWorkerSettings {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = benchWorkerSettings.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new BenchWorkerSettingsError(`Invalid bench worker settings:\n${parsed.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`).join('\n')}`);
}
