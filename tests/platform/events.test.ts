// The event catalog: envelopes and data are validated on both sides, and invalid events are poison, not retried.
import { describe, expect, it } from 'vitest';
import { createEvent, InvalidEventError, parseEvent } from '../../platform/events/catalog.js';

const origin = { eventId: 'order-1:order.paid', correlationId: 'order-order-1', orderId: 'order-1' };
const paid = { orderId: 'order-1', customerId: 'c1', lines: [{ sku: 'A', quantity: 1 }], total: 1250, currency: 'USD', authorizationId: 'auth_1' };

describe('integration events', () => {
  it('round-trips an event through the wire format', () => {
    const event = createEvent('order.paid', paid, origin);
    expect(event).toMatchObject({ eventId: origin.eventId, type: 'order.paid', version: 1, causationId: origin.eventId, data: paid });
    expect(parseEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('refuses to create an event whose data breaks its schema', () => {
    expect(() => createEvent('order.paid', { ...paid, total: -1 }, origin)).toThrow();
  });

  it('rejects unknown types, missing envelope fields and extra data fields as invalid (poison)', () => {
    const event = createEvent('order.paid', paid, origin);
    expect(() => parseEvent({ ...event, type: 'order.shipped' })).toThrow(InvalidEventError);
    expect(() => parseEvent({ ...event, eventId: undefined })).toThrow(/eventId/);
    expect(() => parseEvent({ ...event, data: { ...paid, surprise: true } })).toThrow(/surprise/);
  });
});
