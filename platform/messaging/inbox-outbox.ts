// Inbox and outbox tables: deduplicate incoming events and emit outgoing ones in the same transaction as the state change.
import type { Database, Queryable } from '../store/database.js';
import type { Migration } from '../store/migrations.js';
import { consumptionEntry, journalMigration, type Journal } from '../observability/journal.js';
import type { IntegrationEvent } from '../events/catalog.js';
import { injectTraceContext, type TraceCarrier } from '../observability/tracing.js';
import type { EventHandler, HandlerContext } from './event-handler.js';

/** The migration every event-handling component includes first. */
export const inboxOutboxMigration: Migration = {
  id: '000_inbox_outbox',
  sql: `
    CREATE TABLE IF NOT EXISTS {schema}.inbox (
      event_id text PRIMARY KEY,
      event_type text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE IF NOT EXISTS {schema}.outbox (
      id bigserial PRIMARY KEY,
      event_id text NOT NULL UNIQUE,
      event_type text NOT NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS outbox_unpublished ON {schema}.outbox (id) WHERE published_at IS NULL;
  `,
};

/** Records the event as processed; false when it was processed before (a duplicate delivery). */
export async function claimInbox(tx: Queryable, schema: string, event: IntegrationEvent): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO ${schema}.inbox (event_id, event_type) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING`,
    [event.eventId, event.type],
  );
  return result.rowCount === 1;
}

/**
 * The outbox rows also name their order (so the order timeline can show what was emitted and when it was relayed)
 * and keep the trace context they were written in (so the relay's publish, later and elsewhere, continues the trace).
 */
export const outboxOrderAndTraceMigration: Migration = {
  id: '000_outbox_order_and_trace',
  sql: `
    ALTER TABLE {schema}.outbox ADD COLUMN IF NOT EXISTS order_id text;
    ALTER TABLE {schema}.outbox ADD COLUMN IF NOT EXISTS trace_context jsonb;
    CREATE INDEX IF NOT EXISTS outbox_by_order ON {schema}.outbox (order_id) WHERE order_id IS NOT NULL;
  `,
};

/** The migrations every event-handling component applies before its own: inbox, outbox and its journal. */
export const eventHandlingMigrations: Migration[] = [inboxOutboxMigration, outboxOrderAndTraceMigration, journalMigration];

/**
 * Queues an event for the relay; the same eventId twice is stored once. The row keeps `traceContext` (by default the
 * active one, e.g. the consumer span of the event being handled) so the relay's publish continues that trace.
 */
export async function addToOutbox(tx: Queryable, schema: string, event: IntegrationEvent, traceContext: TraceCarrier = injectTraceContext()): Promise<void> {
  await tx.query(
    `INSERT INTO ${schema}.outbox (event_id, event_type, payload, order_id, trace_context) VALUES ($1, $2, $3, $4, $5::jsonb)
     ON CONFLICT (event_id) DO NOTHING`,
    [event.eventId, event.type, JSON.stringify(event), event.orderId ?? null, Object.keys(traceContext).length === 0 ? null : JSON.stringify(traceContext)],
  );
}

export type TransactionalHandler = (event: IntegrationEvent, tx: Queryable, context: HandlerContext) => Promise<void>;

export interface TransactionalOptions {
  /** Runs once the transaction has committed (e.g. wake the outbox relay). */
  afterCommit?: () => void;
  /**
   * Where the consumption is recorded, in the same transaction as its effect: a crash after the commit cannot lose
   * the record of work that was done (the settlement observer records the other outcomes).
   */
  journal?: Journal;
}

/**
 * Wraps a handler so that the inbox claim, its state changes and its outbox writes commit together:
 * a redelivered event finds its id in the inbox and is acknowledged without effect.
 */
export function transactional(db: Database, schema: string, handle: TransactionalHandler, options: TransactionalOptions = {}): EventHandler {
  return async (event, context) => {
    const handled = await db.transaction(async (tx) => {
      if (!(await claimInbox(tx, schema, event))) {
        context.log.info({ eventId: event.eventId }, 'duplicate event ignored');
        return false;
      }
      await handle(event, tx, context);
      if (options.journal && event.orderId !== undefined) {
        await options.journal.recordInTransaction(tx, consumptionEntry(event.orderId, event, context, 'handled'));
      }
      return true;
    });
    if (!handled) return 'duplicate';
    options.afterCommit?.();
    return 'handled';
  };
}
