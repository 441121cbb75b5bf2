// Inbox and outbox tables: deduplicate incoming events and emit outgoing ones in the same transaction as the state change.
import type { Database, Queryable } from '../store/database.js';
import type { Migration } from '../store/migrations.js';
import type { IntegrationEvent } from '../events/catalog.js';
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

/** Queues an event for the relay; the same eventId twice is stored once. */
export async function addToOutbox(tx: Queryable, schema: string, event: IntegrationEvent): Promise<void> {
  await tx.query(
    `INSERT INTO ${schema}.outbox (event_id, event_type, payload) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING`,
    [event.eventId, event.type, JSON.stringify(event)],
  );
}

export type TransactionalHandler = (event: IntegrationEvent, tx: Queryable, context: HandlerContext) => Promise<void>;

/**
 * Wraps a handler so that the inbox claim, its state changes and its outbox writes commit together:
 * a redelivered event finds its id in the inbox and is acknowledged without effect.
 */
export function transactional(
  db: Database,
  schema: string,
  handle: TransactionalHandler,
  afterCommit?: () => void,
): EventHandler {
  return async (event, context) => {
    const handled = await db.transaction(async (tx) => {
      if (!(await claimInbox(tx, schema, event))) {
        context.log.info({ eventId: event.eventId }, 'duplicate event ignored');
        return false;
      }
      await handle(event, tx, context);
      return true;
    });
    if (handled) afterCommit?.();
  };
}
