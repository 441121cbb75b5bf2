// Runs inventory as its own process.
import { loadConfig } from '../../platform/config.js';
import { runMain } from '../../platform/lifecycle.js';
import { createLogger } from '../../platform/logger.js';
import { startTracing } from '../../platform/observability/tracing.js';
import { startInventory } from './index.js';

const log = createLogger('inventory');
runMain(log, async () => {
  const config = loadConfig();
  // Before anything else, so the component's first spans (and trace ids in its journal) already have a provider.
  const tracing = startTracing({ serviceName: 'inventory', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  return tracing.alongside(await startInventory(config, log));
});
