// Hands stored notifications to their channel after commit: SMTP when configured, the log otherwise; a few attempts, then marked failed.
import nodemailer from 'nodemailer';
import type { Logger } from '../../platform/logger.js';
import type { Journal } from '../../platform/observability/journal.js';
import type { Database } from '../../platform/store/database.js';
import { startBatchLoop } from '../../platform/batch-loop.js';
import { createNotificationsStore, type NotificationRow } from './store.js';

/** A mail server that keeps refusing is reported and given up on, not retried forever. */
export const MAX_DELIVERY_ATTEMPTS = 3;
/** Wait before attempt 2, 3, …; the last value repeats. */
export const DELIVERY_RETRY_DELAYS_MS = [10_000, 60_000] as const;
/** How long a claimed notification is kept from other instances while it is being sent. */
const DELIVERY_LEASE_MS = 120_000;
const BATCH_SIZE = 20;

export interface DeliveryOptions {
  db: Database;
  log: Logger;
  /** Where each delivery is recorded for the order timeline. */
  journal: Journal;
  /** smtp:// or smtps:// URL; without it notifications are written to the log instead of sent. */
  smtpUrl?: string;
  from: string;
  pollIntervalMs: number;
}

export interface Delivery {
  readonly mode: 'smtp' | 'log';
  /** Deliver now instead of at the next poll (called after a transaction stored a notification). */
  wake(): void;
  stop(): Promise<void>;
}

export function startDelivery(options: DeliveryOptions): Delivery {
  const { db, log, journal, from, pollIntervalMs } = options;
  const store = createNotificationsStore(db);
  const transport = options.smtpUrl
    ? nodemailer.createTransport({ url: options.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 })
    : undefined;
  const deliver = async (notification: NotificationRow) => {
    const about = { notificationId: notification.id, orderId: notification.order_id, type: notification.type, to: notification.recipient };
    // The timeline says what the customer was told and how, never to which address.
    const record = (kind: string, detail: Record<string, unknown>) =>
      journal.record({
        orderId: notification.order_id,
        kind,
        name: notification.type,
        attempt: notification.attempts,
        ...(notification.trace_id ? { traceId: notification.trace_id } : {}),
        detail: { channel: notification.channel, ...detail },
      });
    if (!transport) {
      log.info({ ...about, subject: notification.subject, body: notification.body }, 'notification logged (no SMTP configured)');
      await store.markDelivered(notification.id, 'logged');
      await record('notification-sent', { delivery: 'logged' });
      return;
    }
    try {
      await transport.sendMail({ from, to: notification.recipient, subject: notification.subject, text: notification.body });
      await store.markDelivered(notification.id, 'sent');
      await record('notification-sent', { delivery: 'sent' });
      log.info(about, 'notification sent');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (notification.attempts >= MAX_DELIVERY_ATTEMPTS) {
        log.error({ ...about, err: error, attempts: notification.attempts }, 'notification could not be sent; giving up');
        await store.markAttemptFailed(notification.id, reason, undefined);
        await record('notification-failed', { reason });
      } else {
        const retryInMs = DELIVERY_RETRY_DELAYS_MS[Math.min(notification.attempts - 1, DELIVERY_RETRY_DELAYS_MS.length - 1)]!;
        log.warn({ ...about, err: error, attempts: notification.attempts, retryInMs }, 'notification could not be sent; will retry');
        await store.markAttemptFailed(notification.id, reason, retryInMs);
      }
    }
  };

  const loop = startBatchLoop({
    runBatch: async () => {
      const due = await db.transaction((tx) => createNotificationsStore(tx).claimDueNotifications(BATCH_SIZE, DELIVERY_LEASE_MS));
      for (const notification of due) await deliver(notification);
      return due.length === BATCH_SIZE;
    },
    intervalMs: pollIntervalMs,
    log,
    failureMessage: 'notification delivery failed; will retry',
  });

  return {
    mode: transport ? 'smtp' : 'log',
    wake: () => loop.wake(),
    async stop() {
      await loop.stop();
      transport?.close();
    },
  };
}
