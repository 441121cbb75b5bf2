// Runs the payment provider stand-in as its own process (`npm run payment-provider`).
import { runComponent } from '../platform/run-component.js';
import { startPaymentProvider } from './server.js';

runComponent('payment-provider', startPaymentProvider);
