// The worker's V8 heap limit under npm start and start:cluster: what keeps its memory flat with thousands of orders waiting.
import { z } from 'zod';

/**
 * `WORKER_HEAP_LIMIT_MB`, in MiB, or 0 for V8's own limit. Without one V8 lets the worker's heap grow under load before
 * collecting (775 MiB with 2,000 orders waiting, 854 at the drain's peak); with 256 it held about 505 MiB, flat, and
 * drained at the same rate (README, Performance). The worker's alone: it is the component that holds the orders waiting.
 */
export const workerHeapLimitSetting = z.coerce.number().int().refine((mb) => mb === 0 || mb >= 128, 'expected 0 (V8\'s own limit) or at least 128 (MiB)').default(256);

/**
 * The worker's NODE_OPTIONS: the heap limit first, so a `--max-old-space-size` already in NODE_OPTIONS (the caller's
 * own, later in the list) still wins.
 */
export function workerNodeOptions(limitMb: number, inherited: string | undefined): { NODE_OPTIONS?: string } {
  const options = [limitMb > 0 ? `--max-old-space-size=${limitMb}` : '', inherited ?? ''].filter((option) => option.trim() !== '').join(' ');
  return options === '' ? {} : { NODE_OPTIONS: options };
}
