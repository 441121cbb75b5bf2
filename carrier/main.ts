// Runs the carrier stand-in as its own process (`npm run carrier`).
import { runComponent } from '../platform/run-component.js';
import { startCarrier } from './server.js';

runComponent('carrier', startCarrier);
