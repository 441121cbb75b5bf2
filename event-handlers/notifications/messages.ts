// What the customer is told for each order event: subject and plain-text body.
import type { EventData } from '../../platform/events/catalog.js';
import type { NotificationType } from './store.js';

export interface Message {
  type: NotificationType;
  subject: string;
  body: string;
}

/** Minor units to a display amount, using the currency's own number of decimals. */
export function formatMoney(minorUnits: number, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
  return format.format(minorUnits / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}

const lineList = (lines: readonly { sku: string; quantity: number }[]) => lines.map((line) => `  - ${line.quantity} × ${line.sku}`).join('\n');

const cancellationExplanations: Record<EventData<'order.cancelled'>['reason'], string> = {
  OUT_OF_STOCK: 'some items are out of stock',
  INVENTORY_TIMEOUT: 'we could not confirm stock for your items in time',
  CUSTOMER_REQUEST: 'you asked us to cancel it',
};

export function orderPlacedMessage(data: EventData<'order.placed'>): Message {
  return {
    type: 'ORDER_PLACED',
    subject: `We received your order ${data.orderId}`,
    body: [
      `Thank you for your order ${data.orderId}.`,
      '',
      data.lines.map((line) => `  - ${line.quantity} × ${line.sku} at ${formatMoney(line.unitPrice, data.currency)}`).join('\n'),
      '',
      `Total: ${formatMoney(data.total, data.currency)}`,
      'We will write again once your payment and stock are confirmed.',
    ].join('\n'),
  };
}

export function orderConfirmedMessage(data: EventData<'order.confirmed'>): Message {
  return {
    type: 'ORDER_CONFIRMED',
    subject: `Your order ${data.orderId} is confirmed`,
    body: [
      `Good news: your order ${data.orderId} is confirmed and your payment of ${formatMoney(data.total, data.currency)} was taken.`,
      '',
      lineList(data.lines),
    ].join('\n'),
  };
}

export function orderCancelledMessage(data: EventData<'order.cancelled'>): Message {
  return {
    type: 'ORDER_CANCELLED',
    subject: `Your order ${data.orderId} was cancelled`,
    body: [
      `Your order ${data.orderId} was cancelled because ${cancellationExplanations[data.reason]}.`,
      'The amount held on your card has been released; you have not been charged.',
    ].join('\n'),
  };
}

export function paymentDeclinedMessage(data: EventData<'order.payment-declined'>): Message {
  return {
    type: 'PAYMENT_DECLINED',
    subject: `Payment for your order ${data.orderId} was declined`,
    body: [
      `We could not take payment for your order ${data.orderId} (${data.reason}), so it was not placed.`,
      'Please try again with another payment method.',
    ].join('\n'),
  };
}

export function orderShippedMessage(data: EventData<'shipment.dispatched'>): Message {
  return {
    type: 'ORDER_SHIPPED',
    subject: `Your order ${data.orderId} has shipped`,
    body: [
      `Your order ${data.orderId} is on its way with ${data.carrier}.`,
      '',
      `Tracking number: ${data.trackingNumber}`,
      `Follow it here: ${data.trackingUrl}`,
    ].join('\n'),
  };
}

export function orderDeliveredMessage(data: EventData<'shipment.delivered'>): Message {
  return {
    type: 'ORDER_DELIVERED',
    subject: `Your order ${data.orderId} was delivered`,
    body: [
      `${data.carrier} delivered your order ${data.orderId} (tracking number ${data.trackingNumber}).`,
      'We hope you enjoy it.',
    ].join('\n'),
  };
}
