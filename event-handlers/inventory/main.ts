// Runs inventory as its own process (`npm run inventory`).
import { runComponent } from '../../platform/run-component.js';
import { startInventory } from './index.js';

runComponent('inventory', startInventory);
