// Runs the Temporal worker as its own process (`npm run worker`).
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { runMain } from '../platform/lifecycle.js';
import { startTracing } from '../platform/observability/tracing.js';
import { startWorker } from './index.js';

const log = createLogger('worker');
runMain(log, async () => {
  const config = loadConfig();
  // Before anything else, so the component's first spans (and trace ids in its journal) already have a provider.
  const tracing = startTracing({ serviceName: 'worker', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  return tracing.alongside(await startWorker(config, log));
});
