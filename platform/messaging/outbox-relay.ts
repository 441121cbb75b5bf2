// Relays a component's outbox to the broker with publisher confirms; rows are marked published only after the confirm.
import { context } from '@opentelemetry/api';
import type { IntegrationEvent } from '../events/catalog.js';
import { extractTraceContext, type TraceCarrier } from '../observability/tracing.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/database.js';
import type { EventPublisher } from './publisher.js';
import { startBatchLoop, type BatchLoop } from '../batch-loop.js';
import { outboxBacklog, outboxOldestAge } from '../observability/metrics.js';

/** `wake()` publishes now instead of at the next poll (called after a transaction that wrote to the outbox). */
export type OutboxRelay = BatchLoop;

export interface OutboxRelayOptions {
  db: Database;
  schema: string;
  publisher: EventPublisher;
  log: Logger;
  pollIntervalMs: number;
  batchSize?: number;
  /** The `component` label of the outbox gauges. @default the schema */
  component?: string;
}

export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, schema, publisher, log, pollIntervalMs, batchSize = 100 } = options;

  // SKIP LOCKED lets several instances relay one outbox without publishing a row twice at the same time.
  const relayBatch = async (): Promise<number> =>
    db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number; payload: IntegrationEvent | string; trace_context: TraceCarrier | string | null }>(
        `SELECT id, payload, trace_context FROM ${schema}.outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      for (const row of rows) {
        const event = typeof row.payload === 'string' ? (JSON.parse(row.payload) as IntegrationEvent) : row.payload;
        // The publish span's parent is the context the row was written in (the handler's span), not whatever woke the
        // relay: the relayed event stays in the trace of the order that caused it, however much later it goes out.
        const traceContext = typeof row.trace_context === 'string' ? (JSON.parse(row.trace_context) as TraceCarrier) : row.trace_context;
        await context.with(extractTraceContext(traceContext), () => publisher.publish(event));
        await tx.query(`UPDATE ${schema}.outbox SET published_at = now() WHERE id = $1`, [row.id]);
      }
      return rows.length;
    });

  const loop = startBatchLoop({
    runBatch: async () => (await relayBatch()) === batchSize,
    intervalMs: pollIntervalMs,
    log,
    failureMessage: 'outbox relay failed; will retry',
  });
  const unwatch = watchOutbox(db, schema, options.component ?? schema);
  return {
    ...loop,
    async stop() {
      unwatch();
      await loop.stop();
    },
  };
}

/** Backlog and age of the oldest unpublished row, read at scrape time (one index-backed query per scrape, not per publish). */
function watchOutbox(db: Database, schema: string, component: string): () => void {
  const read = async () => {
    const { rows } = await db.query<{ backlog: string | number; oldest_age: string | number | null }>(
      `SELECT count(*) AS backlog, extract(epoch FROM now() - min(created_at)) AS oldest_age FROM ${schema}.outbox WHERE published_at IS NULL`,
    );
    return { backlog: Number(rows[0]?.backlog ?? 0), oldestAge: Number(rows[0]?.oldest_age ?? 0) };
  };
  // The registry collects gauges concurrently: both share the one query in flight.
  let pending: Promise<{ backlog: number; oldestAge: number }> | undefined;
  const once = () => (pending ??= read().finally(() => (pending = undefined)));
  const removers = [
    outboxBacklog.add(async () => [{ labels: { component }, value: (await once()).backlog }]),
    outboxOldestAge.add(async () => [{ labels: { component }, value: (await once()).oldestAge }]),
  ];
  return () => removers.forEach((remove) => remove());
}
