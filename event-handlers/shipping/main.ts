// Runs shipping as its own process (`npm run shipping`).
import { runComponent } from '../../platform/run-component.js';
import { startShipping } from './index.js';

runComponent('shipping', startShipping);
