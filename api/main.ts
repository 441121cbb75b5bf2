// Runs the HTTP API as its own process.
import { loadConfig } from '../platform/config.js';
import { runMain } from '../platform/lifecycle.js';
import { createLogger } from '../platform/logger.js';
import { startApi } from './index.js';

const log = createLogger('api');
runMain(log, () => startApi(loadConfig(), log));
