// Runs the order-outcome bridge as its own process (`npm run order-outcome`).
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { runMain } from '../../platform/lifecycle.js';
import { startTracing } from '../../platform/observability/tracing.js';
import { startOrderOutcome } from './index.js';

const log = createLogger('order-outcome');
runMain(log, async () => {
  const config = loadConfig();
  // Before anything else, so the component's first spans (and trace ids in its journal) already have a provider.
  const tracing = startTracing({ serviceName: 'order-outcome', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  return tracing.alongside(await startOrderOutcome(config, log));
});
