// Notifications' reactions to order events: keep the contact copy, store one notification per order and type.
import { randomUUID } from 'node:crypto';
import type { EventData, IntegrationEvent } from '../../platform/events/catalog.js';
import { NotReadyError } from '../../platform/messaging/errors.js';
import type { HandlerContext, Reactions } from '../../platform/messaging/event-handler.js';
import { currentTraceId } from '../../platform/observability/tracing.js';
import type { Logger } from '../../platform/logger.js';
import type { Queryable } from '../../platform/store/database.js';
import {
  orderCancelledMessage, orderConfirmedMessage, orderDeliveredMessage, orderPlacedMessage, orderShippedMessage, paymentDeclinedMessage, type Message,
} from './messages.js';
import { createNotificationsStore, type NotificationsStore } from './store.js';

export const EMAIL_CHANNEL = 'email';

export type CustomerFacingEvent = 'order.placed' | 'order.confirmed' | 'order.cancelled' | 'order.payment-declined' | 'shipment.dispatched' | 'shipment.delivered';

/** What the customer is told for each fact. */
const messageFor: { [T in CustomerFacingEvent]: (data: EventData<T>) => Message } = {
  'order.placed': orderPlacedMessage,
  'order.confirmed': orderConfirmedMessage,
  'order.cancelled': orderCancelledMessage,
  'order.payment-declined': paymentDeclinedMessage,
  'shipment.dispatched': orderShippedMessage,
  'shipment.delivered': orderDeliveredMessage,
};

/** The order's contact comes from our own copy (fed by order.placed), never from another service. */
async function recipientFor<T extends CustomerFacingEvent>(store: NotificationsStore, type: T, data: EventData<T>): Promise<string> {
  if (type === 'order.placed') {
    const { orderId, customerId, email } = data as EventData<'order.placed'>;
    await store.saveContact({ order_id: orderId, customer_id: customerId, email });
    return email;
  }
  const orderId = data.orderId;
  const contact = await store.findContact(orderId);
  // Choreography gives no ordering guarantee: wait (retry with backoff) until order.placed has brought the contact.
  if (!contact) throw new NotReadyError(`no contact for order ${orderId} yet (order.placed not seen)`);
  return contact.email;
}

/**
 * Stores the notification as pending; the delivery loop hands it to the channel after this transaction commits,
 * so a rolled-back event never tells the customer anything. False when the customer was already told this.
 */
export async function notifyCustomer<T extends CustomerFacingEvent>(tx: Queryable, type: T, data: EventData<T>, log: Logger): Promise<boolean> {
  const store = createNotificationsStore(tx);
  const message = messageFor[type](data);
  const to = await recipientFor(store, type, data);
  const orderId = data.orderId;
  const stored = await store.insertNotification({
    id: randomUUID(),
    order_id: orderId,
    type: message.type,
    channel: EMAIL_CHANNEL,
    recipient: to,
    subject: message.subject,
    body: message.body,
    trace_id: currentTraceId(),
  });
  if (stored) log.info({ orderId, type: message.type }, 'notification stored');
  else log.info({ orderId, type: message.type }, 'customer already notified; ignored');
  return stored;
}

const tell =
  <T extends CustomerFacingEvent>(type: T) =>
  async (event: IntegrationEvent<T>, tx: Queryable, { log }: HandlerContext): Promise<void> => {
    await notifyCustomer(tx, type, event.data, log);
  };

/** What the customer is told for each order and shipment event; the notifications queue is bound to exactly these types. */
export const notificationReactions: Reactions<[tx: Queryable, context: HandlerContext]> = {
  'order.placed': tell('order.placed'),
  'order.confirmed': tell('order.confirmed'),
  'order.cancelled': tell('order.cancelled'),
  'order.payment-declined': tell('order.payment-declined'),
  'shipment.dispatched': tell('shipment.dispatched'),
  'shipment.delivered': tell('shipment.delivered'),
};
