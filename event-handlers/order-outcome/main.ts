// Runs the order-outcome bridge as its own process (`npm run order-outcome`).
import { runComponent } from '../../platform/run-component.js';
import { startOrderOutcome } from './index.js';

runComponent('order-outcome', startOrderOutcome);
