// Notifications' store: the customer contact copies fed by order.placed, and the notification log with each delivery's status.
import { eventHandlingMigrations } from '../../platform/messaging/inbox-outbox.js';
import type { Queryable } from '../../platform/store/database.js';
import type { Migration } from '../../platform/store/migrations.js';

export const NOTIFICATIONS_SCHEMA = 'notifications';
const schema = NOTIFICATIONS_SCHEMA;

export const notificationTypes = ['ORDER_PLACED', 'ORDER_CONFIRMED', 'ORDER_CANCELLED', 'PAYMENT_DECLINED', 'ORDER_SHIPPED', 'ORDER_DELIVERED'] as const;
export type NotificationType = (typeof notificationTypes)[number];

/** pending: stored, not yet handed to the channel; logged: no SMTP configured, written to the log; sent: accepted by SMTP; failed: gave up. */
export type DeliveryStatus = 'pending' | 'logged' | 'sent' | 'failed';

export const notificationsMigrations: Migration[] = [
  // The outbox is unused today; it is there so that a future event from this component commits with its state.
  ...eventHandlingMigrations,
  {
    id: '001_contacts_and_notifications',
    sql: `
      CREATE TABLE IF NOT EXISTS {schema}.contacts (
        order_id text PRIMARY KEY,
        customer_id text NOT NULL,
        email text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS {schema}.notifications (
        id text PRIMARY KEY,
        order_id text NOT NULL,
        type text NOT NULL CHECK (type IN ('ORDER_PLACED', 'ORDER_CONFIRMED', 'ORDER_CANCELLED', 'PAYMENT_DECLINED')),
        channel text NOT NULL,
        recipient text NOT NULL,
        subject text NOT NULL,
        body text NOT NULL,
        delivery text NOT NULL DEFAULT 'pending' CHECK (delivery IN ('pending', 'logged', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        CONSTRAINT one_notification_per_order_and_type UNIQUE (order_id, type)
      );
      CREATE INDEX IF NOT EXISTS notifications_pending ON {schema}.notifications (next_attempt_at) WHERE delivery = 'pending';
    `,
  },
  {
    // The trace of the event that asked for the notification, so its delivery (later, in the loop) joins the order's timeline under it.
    id: '002_notification_trace',
    sql: `ALTER TABLE {schema}.notifications ADD COLUMN IF NOT EXISTS trace_id text;`,
  },
  {
    // Shipping joined: the customer is told when the parcel leaves (with its tracking link) and when it arrives.
    id: '003_shipping_notification_types',
    sql: `
      ALTER TABLE {schema}.notifications DROP CONSTRAINT IF EXISTS notifications_type_check;
      ALTER TABLE {schema}.notifications ADD CONSTRAINT notifications_type_check
        CHECK (type IN ('ORDER_PLACED', 'ORDER_CONFIRMED', 'ORDER_CANCELLED', 'PAYMENT_DECLINED', 'ORDER_SHIPPED', 'ORDER_DELIVERED'));
    `,
  },
];

export interface Contact {
  order_id: string;
  customer_id: string;
  email: string;
}

export interface NotificationRow {
  id: string;
  order_id: string;
  type: NotificationType;
  channel: string;
  recipient: string;
  subject: string;
  body: string;
  delivery: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  created_at: Date | string;
  sent_at: Date | string | null;
  trace_id: string | null;
}

const notificationColumns = 'id, order_id, type, channel, recipient, subject, body, delivery, attempts, last_error, created_at, sent_at, trace_id';

/** Notifications' queries over any Queryable: the database, or the transaction an event is handled in. */
export function createNotificationsStore(q: Queryable) {
  return {
    async saveContact(contact: Contact): Promise<void> {
      await q.query(
        `INSERT INTO ${schema}.contacts (order_id, customer_id, email) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING`,
        [contact.order_id, contact.customer_id, contact.email],
      );
    },

    async findContact(orderId: string): Promise<Contact | undefined> {
      const { rows } = await q.query<Contact>(`SELECT order_id, customer_id, email FROM ${schema}.contacts WHERE order_id = $1`, [orderId]);
      return rows[0];
    },

    /** Stores a notification once per (order, type); false when that customer was already told. */
    async insertNotification(
      notification: Pick<NotificationRow, 'id' | 'order_id' | 'type' | 'channel' | 'recipient' | 'subject' | 'body'> & { trace_id?: string },
    ): Promise<boolean> {
      const result = await q.query(
        `INSERT INTO ${schema}.notifications (id, order_id, type, channel, recipient, subject, body, trace_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_id, type) DO NOTHING`,
        [
          notification.id,
          notification.order_id,
          notification.type,
          notification.channel,
          notification.recipient,
          notification.subject,
          notification.body,
          notification.trace_id ?? null,
        ],
      );
      return result.rowCount === 1;
    },

    async listNotifications(orderId: string): Promise<NotificationRow[]> {
      const { rows } = await q.query<NotificationRow>(
        `SELECT ${notificationColumns} FROM ${schema}.notifications WHERE order_id = $1 ORDER BY created_at, id`,
        [orderId],
      );
      return rows;
    },

    /**
     * Claims due pending notifications for one delivery attempt. The lease (next_attempt_at pushed ahead) keeps other
     * instances off them while the send happens outside any transaction; a crash mid-send means a retry after the lease.
     */
    async claimDueNotifications(limit: number, leaseMs: number): Promise<NotificationRow[]> {
      const { rows } = await q.query<NotificationRow>(
        `UPDATE ${schema}.notifications
            SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
          WHERE id IN (
            SELECT id FROM ${schema}.notifications
             WHERE delivery = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING ${notificationColumns}`,
        [limit, leaseMs],
      );
      return rows;
    },

    async markDelivered(id: string, delivery: 'logged' | 'sent'): Promise<void> {
      await q.query(`UPDATE ${schema}.notifications SET delivery = $2, sent_at = now(), last_error = NULL WHERE id = $1`, [id, delivery]);
    },

    /** Records a failed attempt: tried again after retryInMs, or given up (failed) when retryInMs is undefined. */
    async markAttemptFailed(id: string, error: string, retryInMs: number | undefined): Promise<void> {
      await q.query(
        `UPDATE ${schema}.notifications
            SET last_error = $2,
                delivery = CASE WHEN $3::double precision IS NULL THEN 'failed' ELSE 'pending' END,
                next_attempt_at = now() + make_interval(secs => COALESCE($3::double precision, 0) / 1000)
          WHERE id = $1`,
        [id, error, retryInMs ?? null],
      );
    },
  };
}

export type NotificationsStore = ReturnType<typeof createNotificationsStore>;
