// The Temporal SDK's process-wide runtime: its Rust core's and workers' logs go to our pino logger, its metrics to Prometheus.
import { createServer } from 'node:net';
import { once } from 'node:events';
import { DefaultLogger, IllegalStateError, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger.js';

export interface TemporalRuntime {
  /** Where the core's own Prometheus exporter answers (loopback only); unset when another runtime was installed first. */
  coreMetricsUrl?: string;
}

let installed: TemporalRuntime | undefined;

/**
 * Installs the runtime once per process. The SDK allows a single install; tests run several workers (and their own
 * runtimes) in one process, so a runtime already there is kept, with its logger and without our core metrics.
 * After the last worker closes the SDK shuts the runtime down and recreates it with the same options when needed.
 */
export async function installTemporalRuntime(log: Logger): Promise<TemporalRuntime> {
  if (installed) return installed;
  // The core binds its exporter itself; a port free a moment ago is the best we can hand it.
  const port = await freeLoopbackPort();
  try {
    Runtime.install({
      logger: new DefaultLogger(temporalLevel(log.level), (entry) => forward(log, entry)),
      telemetryOptions: {
        logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
        metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } },
      },
    });
    installed = { coreMetricsUrl: `http://127.0.0.1:${port}/metrics` };
  } catch (error) {
    if (!(error instanceof IllegalStateError)) throw error;
    log.debug('Temporal runtime already installed in this process; keeping its logger and metrics');
    installed = {};
  }
  return installed;
}

/** The Temporal core's Prometheus text, for appending to this process's own /metrics. */
export async function scrapeCoreMetrics(url: string, timeoutMs = 2_000): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`Temporal core metrics answered ${response.status}`);
  return response.text();
}

function forward(log: Logger, { level, message, meta }: LogEntry): void {
  // The SDK's metadata (workflowId, runId, activityType, sdkComponent, …) becomes fields of the line.
  const fields = { ...meta, temporal: true };
  switch (level) {
    case 'TRACE':
      return log.trace(fields, message);
    case 'DEBUG':
      return log.debug(fields, message);
    case 'INFO':
      return log.info(fields, message);
    case 'WARN':
      return log.warn(fields, message);
    default:
      return log.error(fields, message);
  }
}

function temporalLevel(pinoLevel: string): LogLevel {
  switch (pinoLevel) {
    case 'trace':
      return 'TRACE';
    case 'debug':
      return 'DEBUG';
    case 'info':
      return 'INFO';
    case 'warn':
      return 'WARN';
    default:
      return 'ERROR';
  }
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
