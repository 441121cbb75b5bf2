// Runs the Temporal worker as its own process (`npm run worker`).
import { runComponent } from '../platform/run-component.js';
import { startWorker } from './index.js';

runComponent('worker', startWorker);
