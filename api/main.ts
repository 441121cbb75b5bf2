// Runs the HTTP API as its own process (`npm run api`).
import { runComponent } from '../platform/run-component.js';
import { startApi } from './index.js';

runComponent('api', startApi);
