// Named crash points for fault tests: with CRASH_AT set, the process dies at that point, as a power cut would.
/**
 * Production code marks the moments where a crash is most dangerous (after a commit, before an ack, ...);
 * the fault suite sets CRASH_AT on a real process to prove that dying exactly there loses and duplicates nothing.
 * Disarmed (always, outside the fault suite), a crash point costs one Set lookup.
 */
export const crashPoints = [
  'worker:after-authorize',
  'worker:before-publish',
  'inventory:after-commit',
  'order-outcome:after-signal',
  'api:before-answer',
  'shipping:after-booking',
] as const;
export type CrashPoint = (typeof crashPoints)[number];

const armed = new Set<CrashPoint>();

/** Called once at start-up with the parsed CRASH_AT setting. */
export function armCrashPoints(points: readonly CrashPoint[]): void {
  armed.clear();
  for (const point of points) armed.add(point);
}

export function crashPoint(point: CrashPoint): void {
  if (!armed.has(point)) return;
  // SIGKILL: no handlers, no flushing, no graceful anything — the harshest way a process can end.
  process.kill(process.pid, 'SIGKILL');
}
