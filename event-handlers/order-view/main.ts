// Runs the order view as its own process (`npm run order-view`).
import { runComponent } from '../../platform/run-component.js';
import { startOrderView } from './index.js';

runComponent('order-view', startOrderView);
