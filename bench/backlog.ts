// Whether a backlog stayed flat over a measured window: throughput only counts when work is not piling up somewhere.

export interface BacklogSample {
  /** Operations started and not yet finished (the load loop's own count). */
  outstanding: number;
  /** Messages ready in the queues the scenario feeds (0 where it feeds none). */
  queued: number;
}

export interface BacklogVerdict {
  flat: boolean;
  /** How much the backlog grew over the window (end minus start, outstanding plus queued). */
  growth: number;
  /** The most it may grow and still count as flat. */
  allowed: number;
}

/**
 * Flat means the backlog at the end is not larger than at the start by more than the noise of a closed loop: one
 * round of the clients (`concurrency`) or a twentieth of what completed, whichever is larger. A rising backlog
 * means the arrivals outran the system, and the completions counted would not be sustainable.
 */
export function judgeBacklog(start: BacklogSample, end: BacklogSample, options: { concurrency: number; completions: number }): BacklogVerdict {
  const growth = end.outstanding + end.queued - (start.outstanding + start.queued);
  const allowed = Math.max(options.concurrency, Math.ceil(options.completions / 20));
  return { flat: growth <= allowed, growth, allowed };
}
