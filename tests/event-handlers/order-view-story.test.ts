// The order view's fold, property-tested: any arrival order and any duplication of an order's events gives the same row.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { factOf, foldOrder, isInventorySlow, type OrderFact } from '../../event-handlers/order-view/story.js';
import { expectedAtEnd, orderStory, storyEnds } from '../support/order-stories.js';

const factsOf = (orderId: string, end: (typeof storyEnds)[number], legacyPlacement = false) =>
  orderStory(orderId, end, { legacyPlacement }).map((event) => factOf(event)!);

describe('the order view fold', () => {
  it.each(storyEnds)('says what the order came to when it ended %s', (end) => {
    const row = foldOrder(factsOf('o-1', end))!;
    const expected = expectedAtEnd[end];
    expect({ status: row.status, reason: row.reason, payment: row.payment.status, inventory: row.inventory.status, shipment: row.shipment.status }).toEqual({
      status: expected.status,
      reason: expected.reason,
      payment: expected.payment,
      inventory: expected.inventory,
      shipment: expected.shipment,
    });
  });

  it('gives the same row for any permutation and duplication of an order\'s events, for every end', () => {
    // Redeliveries repeat events, retries reorder them: the arrival order is a shuffle of the story plus some repeats.
    const arrivals = fc
      .tuple(fc.constantFrom(...storyEnds), fc.boolean())
      .chain(([end, legacy]) => {
        const facts = factsOf('o-2', end, legacy);
        return fc.tuple(
          fc.constant(facts),
          fc.shuffledSubarray(facts, { minLength: facts.length, maxLength: facts.length }),
          fc.array(fc.constantFrom(...facts), { maxLength: 8 }),
        );
      })
      .chain(([facts, shuffled, repeats]) =>
        fc.tuple(fc.constant(facts), fc.shuffledSubarray([...shuffled, ...repeats], { minLength: shuffled.length + repeats.length, maxLength: shuffled.length + repeats.length })),
      );
    fc.assert(
      fc.property(arrivals, ([facts, arrived]: [OrderFact[], OrderFact[]]) => {
        expect(foldOrder(arrived)).toEqual(foldOrder(facts));
      }),
      { numRuns: 1000, seed: 20261122 },
    );
  });

  it('has no row before the order\'s first fact, and never loses a later fact that came first', () => {
    const facts = factsOf('o-4', 'confirmed');
    const withoutPlacement = facts.filter((fact) => fact.type !== 'order.placed');
    expect(foldOrder(withoutPlacement)).toBeUndefined();
    expect(foldOrder([...withoutPlacement, facts.find((fact) => fact.type === 'order.placed')!])!.status).toBe('CONFIRMED');
  });

  it('names lines of orders placed before the view by their sku, and dates them by their placement event', () => {
    const row = foldOrder(factsOf('o-5', 'confirmed', true))!;
    expect(row.lines.map((line) => line.name)).toEqual(['MUG-LOGO', 'TEE-BLK-M']);
    expect(row.createdAt).toBe('2026-01-01T10:00:00.000Z');
    expect(row.lines[0]).toEqual({ sku: 'MUG-LOGO', name: 'MUG-LOGO', quantity: 2, unitPrice: 1250, lineTotal: 2500 });
  });

  it('keeps no email or address, only the customer id', () => {
    const facts = factsOf('o-6', 'delivered');
    const text = JSON.stringify([facts, foldOrder(facts)]);
    expect(text).not.toContain('ada@example.com');
    expect(text).not.toContain('St James');
    expect(text).toContain('cust-story');
  });

  it('flags an order slow while it waits on inventory past the threshold, and keeps the flag once answered late', () => {
    const waiting = foldOrder(factsOf('o-7', 'awaiting-inventory'))!;
    const since = Date.parse(waiting.inventory.awaitingSince!);
    expect(isInventorySlow(waiting, 5_000, new Date(since + 4_000))).toBe(false);
    expect(isInventorySlow(waiting, 5_000, new Date(since + 6_000))).toBe(true);
    const answeredQuickly = foldOrder(factsOf('o-8', 'confirmed'))!;
    expect(isInventorySlow(answeredQuickly, 5_000, new Date(Date.now()))).toBe(false);
    expect(isInventorySlow(answeredQuickly, 500, new Date(Date.now()))).toBe(true);
  });
});
