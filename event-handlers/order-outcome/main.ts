// Runs the order-outcome bridge as its own process (`npm run order-outcome`).
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { runMain } from '../../platform/lifecycle.js';
import { startOrderOutcome } from './index.js';

const log = createLogger('order-outcome');
runMain(log, () => startOrderOutcome(loadConfig(), log));
