// A background loop that works through batches until none is left, on a timer and whenever woken (outbox relay, deliveries).
import type { Logger } from './logger.js';

export interface BatchLoop {
  /** Run now instead of at the next tick; a wake during a run makes it go round once more. */
  wake(): void;
  /** Stops the timer and waits for the run in progress. */
  stop(): Promise<void>;
}

export interface BatchLoopOptions {
  /** Handles one batch; resolves true when there may be more to do right away. */
  runBatch: () => Promise<boolean>;
  intervalMs: number;
  log: Logger;
  /** Logged with the error when a batch fails; the loop simply tries again later. */
  failureMessage: string;
}

export function startBatchLoop({ runBatch, intervalMs, log, failureMessage }: BatchLoopOptions): BatchLoop {
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;

  const drain = async () => {
    do {
      again = false;
      try {
        while (!stopped && (await runBatch()));
      } catch (error) {
        log.warn({ err: error }, failureMessage);
      }
    } while (again && !stopped);
  };

  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain().finally(() => (running = undefined));
  };

  const timer = setInterval(wake, intervalMs);
  timer.unref();
  wake();

  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
