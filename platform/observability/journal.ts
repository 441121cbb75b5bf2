// A component's own record of what it did for each order (events consumed, retried, dead-lettered, signals sent), for the order timeline.
import type { Logger } from '../logger.js';
import type { Queryable } from '../store/database.js';
import type { Migration } from '../store/migrations.js';
import type { IntegrationEvent } from '../events/catalog.js';
import type { Settlement, SettlementObserver } from '../messaging/consumer.js';
import { currentTraceId } from './tracing.js';

/**
 * The journal table: what this component did, per order, as the timeline shows it. Event-handling components get it
 * with the inbox and outbox (eventHandlingMigrations); the order-outcome bridge, which has no other state, alone.
 */
export const journalMigration: Migration = {
  id: '000_journal',
  sql: `
    CREATE TABLE IF NOT EXISTS {schema}.journal (
      id bigserial PRIMARY KEY,
      order_id text NOT NULL,
      at timestamptz NOT NULL DEFAULT clock_timestamp(),
      kind text NOT NULL,
      name text NOT NULL,
      detail jsonb,
      event_id text,
      trace_id text,
      attempt integer
    );
    CREATE INDEX IF NOT EXISTS journal_by_order ON {schema}.journal (order_id, at);
  `,
};

/** One thing a component did for an order, as the timeline shows it. */
export interface JournalEntry {
  at: string;
  /** The participant: inventory, notifications, order-outcome, … */
  source: string;
  /** What happened: event-consumed, event-emitted, event-relayed, signal-sent, notification-sent, … */
  kind: string;
  /** Usually the event type or the step's name. */
  name: string;
  detail?: Record<string, unknown>;
  eventId?: string;
  traceId?: string;
  attempt?: number;
}

export type NewJournalEntry = Omit<JournalEntry, 'at' | 'source'> & { orderId: string; at?: Date };

export interface Journal {
  /** Records an entry; a failure is logged, never thrown: the record must not break the work it describes. */
  record(entry: NewJournalEntry): Promise<void>;
  /** Records an entry as part of a transaction, failing with it: the record commits exactly when the work does. */
  recordInTransaction(tx: Queryable, entry: NewJournalEntry): Promise<void>;
  /** Everything this component recorded for the order, oldest first, including the outbox's emitted and relayed events. */
  forOrder(orderId: string): Promise<JournalEntry[]>;
}

interface JournalRow {
  at: Date | string;
  kind: string;
  name: string;
  detail: Record<string, unknown> | string | null;
  event_id: string | null;
  trace_id: string | null;
  attempt: number | null;
}

interface OutboxRow {
  event_id: string;
  event_type: string;
  created_at: Date | string;
  published_at: Date | string | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

export function createJournal(options: { db: Queryable; schema: string; source: string; log: Logger; hasOutbox?: boolean }): Journal {
  const { db, schema, source, log } = options;
  // Inside a transaction an entry takes the transaction's time, as the outbox rows written beside it do.
  const insert = async (q: Queryable, entry: NewJournalEntry, clock: 'now()' | 'clock_timestamp()') => {
    await q.query(
      `INSERT INTO ${schema}.journal (order_id, at, kind, name, detail, event_id, trace_id, attempt)
       VALUES ($1, COALESCE($2::timestamptz, ${clock}), $3, $4, $5::jsonb, $6, $7, $8)`,
      [
        entry.orderId,
        entry.at?.toISOString() ?? null,
        entry.kind,
        entry.name,
        entry.detail === undefined ? null : JSON.stringify(entry.detail),
        entry.eventId ?? null,
        // Unless told otherwise, the entry belongs to the trace it was recorded in (the consumer's span, the signal's).
        entry.traceId ?? currentTraceId() ?? null,
        entry.attempt ?? null,
      ],
    );
  };
  return {
    async recordInTransaction(tx, entry) {
      await insert(tx, entry, 'now()');
    },

    async record(entry) {
      try {
        await insert(db, entry, 'clock_timestamp()');
      } catch (error) {
        log.warn({ err: error, orderId: entry.orderId, kind: entry.kind }, 'could not record a journal entry');
      }
    },

    async forOrder(orderId) {
      // Within one instant, taking an event in comes before what handling it did.
      const { rows } = await db.query<JournalRow>(
        `SELECT at, kind, name, detail, event_id, trace_id, attempt FROM ${schema}.journal WHERE order_id = $1
         ORDER BY at, (kind <> 'event-consumed'), id`,
        [orderId],
      );
      const entries: JournalEntry[] = rows.map((row) => ({
        at: iso(row.at),
        source,
        kind: row.kind,
        name: row.name,
        ...(row.detail === null ? {} : { detail: typeof row.detail === 'string' ? (JSON.parse(row.detail) as Record<string, unknown>) : row.detail }),
        ...(row.event_id === null ? {} : { eventId: row.event_id }),
        ...(row.trace_id === null ? {} : { traceId: row.trace_id }),
        ...(row.attempt === null ? {} : { attempt: row.attempt }),
      }));
      if (options.hasOutbox) {
        // What the component emitted is already on record in its outbox: written with the state change, relayed later.
        const { rows: emitted } = await db.query<OutboxRow>(
          `SELECT event_id, event_type, created_at, published_at FROM ${schema}.outbox WHERE order_id = $1 ORDER BY id`,
          [orderId],
        );
        for (const row of emitted) {
          entries.push({ at: iso(row.created_at), source, kind: 'event-emitted', name: row.event_type, eventId: row.event_id, detail: { via: 'outbox' } });
          if (row.published_at !== null) {
            entries.push({ at: iso(row.published_at), source, kind: 'event-relayed', name: row.event_type, eventId: row.event_id });
          }
        }
      }
      return entries.sort((a, b) => a.at.localeCompare(b.at));
    },
  };
}

/** How the timeline shows one consumption of an order's event. */
export function consumptionEntry(
  orderId: string,
  event: IntegrationEvent,
  delivery: { attempt: number; redelivered?: boolean; replayedAt?: string },
  outcome: Settlement['outcome'],
  extra: { reason?: string; durationMs?: number } = {},
): NewJournalEntry {
  return {
    orderId,
    kind: 'event-consumed',
    name: event.type,
    eventId: event.eventId,
    attempt: delivery.attempt,
    detail: {
      outcome,
      ...(extra.reason === undefined ? {} : { reason: extra.reason }),
      ...(delivery.redelivered ? { redelivered: true } : {}),
      ...(delivery.replayedAt === undefined ? {} : { replayedAt: delivery.replayedAt }),
      ...(extra.durationMs === undefined ? {} : { durationMs: Math.round(extra.durationMs) }),
    },
  };
}

/**
 * Records each consumption of an order's event: handled, duplicate ignored, retried with the reason, dead-lettered.
 * Where the handler records its own 'handled' inside its transaction (transactional() with a journal), pass
 * `handledInTransaction` so it is not recorded twice.
 */
export function journalSettlements(journal: Journal, options: { handledInTransaction?: boolean } = {}): SettlementObserver {
  return async (settlement) => {
    const event = settlement.event;
    if (event?.orderId === undefined) return;
    if (settlement.outcome === 'handled' && options.handledInTransaction) return;
    // Stamped when handling began, like the entries handlers record inside their transaction.
    await journal.record({ ...consumptionEntry(event.orderId, event, settlement, settlement.outcome, settlement), at: settlement.startedAt });
  };
}
