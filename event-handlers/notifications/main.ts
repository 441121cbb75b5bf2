// Runs notifications as its own process (`npm run notifications`).
import { runComponent } from '../../platform/run-component.js';
import { startNotifications } from './index.js';

runComponent('notifications', startNotifications);
