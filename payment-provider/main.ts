// Runs the payment provider stand-in as its own process (`npm run payment-provider`).
import { loadConfig } from '../platform/config.js';
import { runMain } from '../platform/lifecycle.js';
import { createLogger } from '../platform/logger.js';
import { startPaymentProvider } from './server.js';

const log = createLogger('payment-provider');
runMain(log, () => startPaymentProvider(loadConfig(), log));
