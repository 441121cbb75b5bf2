// Rebuilds the order view from scratch: the history stream replayed into a staging table, then swapped in under a lock.
import { parseEvent } from '../../platform/events/catalog.js';
import type { Logger } from '../../platform/logger.js';
import type { Database } from '../../platform/store/database.js';
import { replayHistory } from './history.js';
import { createOrderViewStore, ORDER_VIEW_SCHEMA } from './store.js';
import { factOf, isViewEventType } from './story.js';

const schema = ORDER_VIEW_SCHEMA;

export interface RebuildResult {
  /** Events read from the history stream. */
  replayed: number;
  /** Orders in the view once rebuilt. */
  orders: number;
}

export class RebuildInProgressError extends Error {
  override readonly name = 'RebuildInProgressError';
}

/**
 * Why a staging table and a swap under a lock, rather than fresh tables renamed in: the live consumer keeps applying
 * events while the stream is replayed, and those must not be lost. The replay reads everything routed to the stream
 * before it began (history.ts's marker); every fact the live consumer applied before the rebuild began was routed
 * there earlier still, and anything applied since is kept as it is. So, in one transaction that holds the live tables
 * against writers (readers go on reading the old rows until it commits): the live facts from before the rebuild are
 * replaced by the replayed ones, and every order's row is folded again from what results.
 */
export function createViewRebuilder(options: { db: Database; amqpUrl: string | readonly string[]; exchange: string; prefetch: number; timeoutMs: number; log: Logger }) {
  const { db } = options;
  /**
   * Claims the one rebuild slot in the store, shared by every instance. A claim older than the rebuild's own time limit
   * belongs to a rebuild that died (its process was killed) and is taken over.
   */
  const claim = async () => {
    const { rowCount } = await db.query(
      `INSERT INTO ${schema}.rebuild_claim (id, claimed_at) VALUES (1, now())
       ON CONFLICT (id) DO UPDATE SET claimed_at = now() WHERE ${schema}.rebuild_claim.claimed_at < now() - make_interval(secs => $1)`,
      [options.timeoutMs / 1000],
    );
    if (rowCount !== 1) throw new RebuildInProgressError('a rebuild of the order view is already running');
  };
  return async function rebuildView(): Promise<RebuildResult> {
    await claim();
    try {
      const { log } = options;
      const startedAt = (await db.query<{ now: Date }>('SELECT now() AS now')).rows[0]!.now;
      await db.query(`TRUNCATE ${schema}.facts_rebuild`);
      const { read } = await replayHistory({
        amqpUrl: options.amqpUrl,
        exchange: options.exchange,
        prefetch: options.prefetch,
        timeoutMs: options.timeoutMs,
        onEvent: async (content) => {
          let fact;
          try {
            const event = parseEvent(JSON.parse(content.toString('utf8')));
            fact = isViewEventType(event.type) ? factOf(event) : undefined;
          } catch (error) {
            // The live consumer dead-letters such a message; the rebuild, like it, builds nothing from it.
            log.warn({ err: error }, 'skipping an unreadable message in the history stream');
            return;
          }
          if (!fact) return;
          await db.query(
            `INSERT INTO ${schema}.facts_rebuild (event_id, order_id, type, occurred_at, data) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (event_id) DO NOTHING`,
            [fact.eventId, fact.orderId, fact.type, fact.occurredAt, JSON.stringify(fact.data)],
          );
        },
      });
      const orders = await db.transaction(async (tx) => {
        await tx.query(`LOCK TABLE ${schema}.facts, ${schema}.orders IN EXCLUSIVE MODE`);
        await tx.query(`DELETE FROM ${schema}.facts WHERE applied_at < $1`, [startedAt]);
        await tx.query(
          `INSERT INTO ${schema}.facts (event_id, order_id, type, occurred_at, data)
           SELECT event_id, order_id, type, occurred_at, data FROM ${schema}.facts_rebuild ON CONFLICT (event_id) DO NOTHING`,
        );
        await tx.query(`DELETE FROM ${schema}.orders`);
        const store = createOrderViewStore(tx);
        const { rows } = await tx.query<{ order_id: string }>(`SELECT DISTINCT order_id FROM ${schema}.facts`);
        for (const { order_id } of rows) await store.refold(order_id);
        await tx.query(`TRUNCATE ${schema}.facts_rebuild`);
        return (await tx.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${schema}.orders`)).rows[0]!.count;
      });
      log.info({ replayed: read, orders }, 'order view rebuilt from its history stream');
      return { replayed: read, orders };
    } finally {
      await db.query(`DELETE FROM ${schema}.rebuild_claim`).catch((error: unknown) => options.log.warn({ err: error }, 'could not release the rebuild claim; it lapses on its own'));
    }
  };
}
