// Runs one component as its own process: configuration parsed once, tracing started first, the component stopped gracefully.
import { loadConfig, type Config } from './config.js';
import { runMain, type Stoppable } from './lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { startTracing } from './observability/tracing.js';

export function runComponent(name: string, start: (config: Config, log: Logger) => Promise<Stoppable>): void {
  const log = createLogger(name);
  runMain(log, async () => {
    const config = loadConfig();
    // OTEL_SDK_DISABLED (the OpenTelemetry switch) leaves tracing off entirely: no spans, no trace ids.
    if (config.OTEL_SDK_DISABLED) return start(config, log);
    // Before anything else, so the component's first spans (and trace ids in its journal) already have a provider.
    const tracing = startTracing({ serviceName: name, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
    return tracing.alongside(await start(config, log));
  });
}
