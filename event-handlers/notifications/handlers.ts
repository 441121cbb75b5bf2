// Notifications' reactions to order events: keep the contact copy, store one notification per order and type.
import { randomUUID } from 'node:crypto';
import type { EventData, IntegrationEvent } from '../../platform/events/catalog.js';
import { NotReadyError } from '../../platform/messaging/errors.js';
import type { HandlerContext, Reactions } from '../../platform/messaging/event-handler.js';
import { currentTraceId } from '../../platform/observability/tracing.js';
import type { Queryable } from '../../platform/store/database.js';
import {
  orderCancelledMessage, orderConfirmedMessage, orderDeliveredMessage, orderPlacedMessage, orderShippedMessage, paymentDeclinedMessage, type Message,
} from './messages.js';
import { createNotificationsStore, type NotificationsStore } from './store.js';

export const EMAIL_CHANNEL = 'email';

type CustomerFacingEvent = 'order.placed' | 'order.confirmed' | 'order.cancelled' | 'order.payment-declined' | 'shipment.dispatched' | 'shipment.delivered';

/** The order's contact comes from our own copy (fed by order.placed), never from another service. */
async function recipientFor(store: NotificationsStore, event: IntegrationEvent<CustomerFacingEvent>): Promise<string> {
  if (event.type === 'order.placed') {
    const { orderId, customerId, email } = event.data;
    await store.saveContact({ order_id: orderId, customer_id: customerId, email });
    return email;
  }
  const orderId = event.data.orderId;
  const contact = await store.findContact(orderId);
  // Choreography gives no ordering guarantee: wait (retry with backoff) until order.placed has brought the contact.
  if (!contact) throw new NotReadyError(`no contact for order ${orderId} yet (order.placed not seen)`);
  return contact.email;
}

/**
 * Stores the notification as pending; the delivery loop hands it to the channel after this transaction commits,
 * so a rolled-back event never tells the customer anything.
 */
const tell =
  <T extends CustomerFacingEvent>(compose: (data: EventData<T>) => Message) =>
  async (event: IntegrationEvent<T>, tx: Queryable, { log }: HandlerContext): Promise<void> => {
    const store = createNotificationsStore(tx);
    const message = compose(event.data);
    // The generic T is one of the customer-facing types; TypeScript cannot narrow the union through it.
    const to = await recipientFor(store, event as IntegrationEvent<CustomerFacingEvent>);
    const orderId = event.data.orderId;
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
  };

/** What the customer is told for each order and shipment event; the notifications queue is bound to exactly these types. */
export const notificationReactions: Reactions<[tx: Queryable, context: HandlerContext]> = {
  'order.placed': tell(orderPlacedMessage),
  'order.confirmed': tell(orderConfirmedMessage),
  'order.cancelled': tell(orderCancelledMessage),
  'order.payment-declined': tell(paymentDeclinedMessage),
  'shipment.dispatched': tell(orderShippedMessage),
  'shipment.delivered': tell(orderDeliveredMessage),
};
