// Relays a component's outbox to the broker with publisher confirms; rows are marked published only after the confirm.
import type { IntegrationEvent } from '../events/catalog.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/database.js';
import type { EventPublisher } from './publisher.js';

export interface OutboxRelay {
  /** Publish now instead of at the next poll (called after a transaction that wrote to the outbox). */
  wake(): void;
  stop(): Promise<void>;
}

export interface OutboxRelayOptions {
  db: Database;
  schema: string;
  publisher: EventPublisher;
  log: Logger;
  pollIntervalMs: number;
  batchSize?: number;
}

export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, schema, publisher, log, pollIntervalMs, batchSize = 100 } = options;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;

  // SKIP LOCKED lets several instances relay one outbox without publishing a row twice at the same time.
  const relayBatch = async (): Promise<number> =>
    db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number; payload: IntegrationEvent | string }>(
        `SELECT id, payload FROM ${schema}.outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      for (const row of rows) {
        const event = typeof row.payload === 'string' ? (JSON.parse(row.payload) as IntegrationEvent) : row.payload;
        await publisher.publish(event);
        await tx.query(`UPDATE ${schema}.outbox SET published_at = now() WHERE id = $1`, [row.id]);
      }
      return rows.length;
    });

  const drain = async () => {
    do {
      again = false;
      try {
        while (!stopped && (await relayBatch()) === batchSize);
      } catch (error) {
        log.warn({ err: error }, 'outbox relay failed; will retry');
      }
    } while (again && !stopped);
  };

  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain().finally(() => (running = undefined));
  };

  const timer = setInterval(wake, pollIntervalMs);
  timer.unref();
  wake();

  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
