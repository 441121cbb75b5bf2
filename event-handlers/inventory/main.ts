// Runs inventory as its own process.
import { loadConfig } from '../../platform/config.js';
import { runMain } from '../../platform/lifecycle.js';
import { createLogger } from '../../platform/logger.js';
import { startInventory } from './index.js';

const log = createLogger('inventory');
runMain(log, () => startInventory(loadConfig(), log));
