// Prometheus metrics: one registry per process, every metric this platform exports, and the GET /metrics route.
import { Router, type RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The process's registry; components that share a process (tests) are told apart by their labels. */
export const registry = new Registry();
// Standard names (process_*, nodejs_*) so stock Node.js dashboards work unchanged.
collectDefaultMetrics({ register: registry });

/** Every metric name the code registers (the Grafana dashboard test checks it only uses these). */
export const MetricName = {
  httpRequestDuration: 'ensemble_http_request_duration_seconds',
  eventsPublished: 'ensemble_events_published_total',
  eventsConsumed: 'ensemble_events_consumed_total',
  eventsRetried: 'ensemble_events_retried_total',
  eventsDeadLettered: 'ensemble_events_dead_lettered_total',
  inboxDuplicates: 'ensemble_inbox_duplicates_total',
  eventHandlingDuration: 'ensemble_event_handling_duration_seconds',
  consumerQueueDepth: 'ensemble_consumer_queue_depth',
  deadLetterQueueDepth: 'ensemble_dead_letter_queue_depth',
  outboxBacklog: 'ensemble_outbox_backlog',
  outboxOldestAge: 'ensemble_outbox_oldest_age_seconds',
  ordersCompleted: 'ensemble_orders_completed_total',
  orderDuration: 'ensemble_order_duration_seconds',
  ordersAwaitingInventory: 'ensemble_orders_awaiting_inventory',
  ordersInventorySlow: 'ensemble_orders_inventory_slow',
} as const;

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequestDuration = new Histogram({
  name: MetricName.httpRequestDuration,
  help: 'HTTP requests by route pattern and status, in seconds',
  labelNames: ['component', 'method', 'route', 'status'] as const,
  buckets: latencyBuckets,
  registers: [registry],
});

export const eventsPublished = new Counter({
  name: MetricName.eventsPublished,
  help: 'Events confirmed by the broker, per type and publishing component',
  labelNames: ['component', 'type'] as const,
  registers: [registry],
});

const consumerLabels = ['queue', 'type'] as const;
export const eventsConsumed = new Counter({
  name: MetricName.eventsConsumed, help: 'Events handled and acknowledged, per consumer queue and type', labelNames: consumerLabels, registers: [registry],
});
export const eventsRetried = new Counter({
  name: MetricName.eventsRetried, help: 'Deliveries that failed and were scheduled for a retry', labelNames: consumerLabels, registers: [registry],
});
export const eventsDeadLettered = new Counter({
  name: MetricName.eventsDeadLettered, help: 'Deliveries moved to the dead-letter queue', labelNames: consumerLabels, registers: [registry],
});
export const inboxDuplicates = new Counter({
  name: MetricName.inboxDuplicates, help: 'Redelivered events the inbox recognised and ignored', labelNames: consumerLabels, registers: [registry],
});
export const eventHandlingDuration = new Histogram({
  name: MetricName.eventHandlingDuration,
  help: 'Time from delivery to settlement, per consumer queue, type and outcome, in seconds',
  labelNames: ['queue', 'type', 'outcome'] as const,
  buckets: latencyBuckets,
  registers: [registry],
});

export const ordersCompleted = new Counter({
  name: MetricName.ordersCompleted,
  help: 'Orders that reached a terminal status, with the reason where there is one',
  labelNames: ['status', 'reason'] as const,
  registers: [registry],
});
export const orderDuration = new Histogram({
  name: MetricName.orderDuration,
  help: 'End-to-end time from an order being accepted to its terminal status, in seconds',
  labelNames: ['status'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
  registers: [registry],
});

/**
 * A gauge whose value is read at scrape time from several sources (e.g. each outbox in the process), each
 * contributing its own labelled values. A source that fails is skipped for that scrape.
 */
export function scrapedGauge<L extends string>(name: string, help: string, labelNames: readonly L[]) {
  const sources = new Set<() => Promise<{ labels: Record<L, string>; value: number }[]>>();
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      const results = await Promise.allSettled([...sources].map((read) => read()));
      for (const result of results) {
        if (result.status === 'fulfilled') for (const { labels, value } of result.value) this.set(labels as never, value);
      }
    },
  });
  return {
    /** Adds a source; the returned function removes it (when its component stops). */
    add(read: () => Promise<{ labels: Record<L, string>; value: number }[]>): () => void {
      sources.add(read);
      return () => sources.delete(read);
    },
  };
}

export const consumerQueueDepth = scrapedGauge(MetricName.consumerQueueDepth, 'Messages ready in a consumer queue, waiting to be consumed (its lag)', ['queue']);
export const deadLetterQueueDepth = scrapedGauge(MetricName.deadLetterQueueDepth, 'Messages waiting in a consumer queue\'s dead-letter queue', ['queue']);
export const outboxBacklog = scrapedGauge(MetricName.outboxBacklog, 'Outbox rows not yet published', ['component']);
export const outboxOldestAge = scrapedGauge(MetricName.outboxOldestAge, 'Age of the oldest unpublished outbox row, in seconds (0 when empty)', ['component']);
export const ordersAwaitingInventory = scrapedGauge(MetricName.ordersAwaitingInventory, 'Running orders whose payment is authorized and which wait on inventory', ['task_queue']);
export const ordersInventorySlow = scrapedGauge(MetricName.ordersInventorySlow, 'Orders still waiting on inventory that the watchdog flagged slow (waited longer than INVENTORY_SLOW_AFTER)', ['task_queue']);

/** Extra text appended to the exposition (the Temporal core's own Prometheus output, in the worker). */
const extraSources = new Set<() => Promise<string>>();
export function addExpositionSource(read: () => Promise<string>): () => void {
  extraSources.add(read);
  return () => extraSources.delete(read);
}

/** The whole exposition, ours first, then the extra sources' (a failing source is left out of that scrape). */
export async function exposition(): Promise<string> {
  const ours = await registry.metrics();
  const extras = await Promise.allSettled([...extraSources].map((read) => read()));
  return [ours, ...extras.flatMap((extra) => (extra.status === 'fulfilled' && extra.value.trim() ? [extra.value.trimEnd() + '\n'] : []))].join('');
}

/** GET /metrics in the Prometheus text format. */
export function metricsRoute(): Router {
  const router = Router();
  router.get('/metrics', (async (_req, res) => {
    res.type(registry.contentType).send(await exposition());
  }) as RequestHandler);
  return router;
}
