// Runs notifications as its own process.
import { loadConfig } from '../../platform/config.js';
import { runMain } from '../../platform/lifecycle.js';
import { createLogger } from '../../platform/logger.js';
import { startNotifications } from './index.js';

const log = createLogger('notifications');
runMain(log, () => startNotifications(loadConfig(), log));
