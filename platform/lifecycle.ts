// Process lifecycle shared by every runnable component: start, then stop gracefully on SIGINT/SIGTERM.
import type { Logger } from './logger.js';

export interface Stoppable {
  /** Stop taking work, finish in-flight work, close connections. */
  stop(): Promise<void>;
}

/** Stops resources in reverse order of acquisition, reporting (not swallowing) failures. */
export class ResourceStack implements Stoppable {
  private readonly resources: { name: string; stop: () => unknown }[] = [];

  constructor(private readonly log?: Logger) {}

  push(name: string, stop: () => unknown): void {
    this.resources.push({ name, stop });
  }

  async stop(): Promise<void> {
    const failures: unknown[] = [];
    while (this.resources.length > 0) {
      const resource = this.resources.pop()!;
      try {
        await resource.stop();
      } catch (error) {
        failures.push(error);
        this.log?.error({ err: error, resource: resource.name }, 'failed to stop resource');
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, 'some resources failed to stop');
  }
}

const SIGNAL_ECHO_MS = 1_000;

/**
 * Runs a component as the main program: starts it, and on the first SIGINT/SIGTERM stops it gracefully.
 * A second signal exits at once, for the operator who does not want to wait.
 */
export function runMain(log: Logger, start: () => Promise<Stoppable>): void {
  let component: Stoppable | undefined;
  let stopping = false;
  let firstSignalAt = 0;

  const shutdown = async (signal: string) => {
    if (stopping) {
      // tsx and npm relay a signal the process also receives directly: a copy within a second is the same request.
      if (Date.now() - firstSignalAt < SIGNAL_ECHO_MS) return;
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    firstSignalAt = Date.now();
    log.info({ signal }, 'shutting down');
    try {
      await component?.stop();
      log.info('stopped');
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  Promise.resolve().then(start).then(
    (started) => {
      component = started;
      // Supervisors and the fault suite wait for this line before they count the component as up.
      log.info('started');
      if (stopping) void started.stop().then(() => process.exit(0));
    },
    (error: unknown) => {
      log.fatal({ err: error }, 'failed to start');
      process.exit(1);
    },
  );
}
