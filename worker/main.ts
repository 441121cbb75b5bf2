// Runs the Temporal worker as its own process (`npm run worker`).
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { runMain } from '../platform/lifecycle.js';
import { startWorker } from './index.js';

const log = createLogger('worker');
runMain(log, () => startWorker(loadConfig(), log));
