// Notifications' reactions to order events: keep the contact copy, store one notification per order and type.
import { randomUUID } from 'node:crypto';
import type { IntegrationEvent } from '../../platform/events/catalog.js';
import { NotReadyError, PoisonMessageError } from '../../platform/messaging/errors.js';
import type { TransactionalHandler } from '../../platform/messaging/inbox-outbox.js';
import type { Queryable } from '../../platform/store/database.js';
import { orderCancelledMessage, orderConfirmedMessage, orderPlacedMessage, paymentDeclinedMessage, type Message } from './messages.js';
import { findContact, insertNotification, saveContact } from './store.js';

/** The event types the notifications queue is bound to. */
export const notificationBindings = ['order.placed', 'order.confirmed', 'order.cancelled', 'order.payment-declined'] as const;

export const EMAIL_CHANNEL = 'email';

function messageFor(event: IntegrationEvent): Message {
  switch (event.type) {
    case 'order.placed':
      return orderPlacedMessage(event.data);
    case 'order.confirmed':
      return orderConfirmedMessage(event.data);
    case 'order.cancelled':
      return orderCancelledMessage(event.data);
    case 'order.payment-declined':
      return paymentDeclinedMessage(event.data);
    default:
      throw new PoisonMessageError(`notifications does not handle ${event.type}`);
  }
}

/** The order's contact comes from our own copy (fed by order.placed), never from another service. */
async function recipientFor(tx: Queryable, event: IntegrationEvent): Promise<string> {
  if (event.type === 'order.placed') {
    const { orderId, customerId, email } = event.data;
    await saveContact(tx, { order_id: orderId, customer_id: customerId, email });
    return email;
  }
  const orderId = (event.data as { orderId: string }).orderId;
  const contact = await findContact(tx, orderId);
  // Choreography gives no ordering guarantee: wait (retry with backoff) until order.placed has brought the contact.
  if (!contact) throw new NotReadyError(`no contact for order ${orderId} yet (order.placed not seen)`);
  return contact.email;
}

/**
 * Stores the notification as pending; the delivery loop hands it to the channel after this transaction commits,
 * so a rolled-back event never tells the customer anything.
 */
export const handleNotificationEvent: TransactionalHandler = async (event, tx, { log }) => {
  const message = messageFor(event);
  const to = await recipientFor(tx, event);
  const orderId = (event.data as { orderId: string }).orderId;
  const stored = await insertNotification(tx, {
    id: randomUUID(),
    order_id: orderId,
    type: message.type,
    channel: EMAIL_CHANNEL,
    recipient: to,
    subject: message.subject,
    body: message.body,
  });
  if (stored) log.info({ orderId, type: message.type }, 'notification stored');
  else log.info({ orderId, type: message.type }, 'customer already notified; ignored');
};
