// Runs the payment provider stand-in as its own process (`npm run payment-provider`).
import { loadConfig } from '../platform/config.js';
import { runMain } from '../platform/lifecycle.js';
import { createLogger } from '../platform/logger.js';
import { startTracing } from '../platform/observability/tracing.js';
import { startPaymentProvider } from './server.js';

const log = createLogger('payment-provider');
runMain(log, async () => {
  const config = loadConfig();
  // Before anything else, so the component's first spans (and trace ids in its journal) already have a provider.
  const tracing = startTracing({ serviceName: 'payment-provider', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  return tracing.alongside(await startPaymentProvider(config, log));
});
