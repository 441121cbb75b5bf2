// The worker's order metrics: terminal outcomes and end-to-end latency from the workflow's sink, and its /metrics server.
import type { InjectedSinks } from '@temporalio/worker';
import { cancellationReasons } from '../platform/events/catalog.js';
import { orderDuration, ordersCompleted } from '../platform/observability/metrics.js';
import type { OrderOutcomeSinks } from './order-outcome-interceptor.js';

/** Reasons worth a label of their own; anything else (e.g. a processor's free-text decline message) is left out. */
const labelledReasons = new Set<string>([...cancellationReasons, 'CART_INVALID']);

/**
 * Counted where the workflow returns, not in an activity: an activity retried after its effect would count twice,
 * while a sink is called once when the workflow completes and never on replay. The latency runs from the
 * workflow's start (the API accepting the order, by update-with-start) to that moment.
 */
export const orderOutcomeSinks: InjectedSinks<OrderOutcomeSinks> = {
  orderOutcome: {
    completed: {
      fn(info, status, reason) {
        ordersCompleted.inc({ status, reason: reason !== undefined && labelledReasons.has(reason) ? reason : '' });
        orderDuration.observe({ status }, Math.max(0, Date.now() - info.startTime.getTime()) / 1000);
      },
      callDuringReplay: false,
    },
  },
};
