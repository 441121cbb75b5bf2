// Card numbers in client text: found however they are written, and never confused with the ids the product itself makes.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CARD_NUMBER_MASK, containsCardNumber, maskCardNumbers } from '../../platform/http/card-numbers.js';

const visa = '4111111111111111';

describe('card numbers in client text', () => {
  it('finds a card number written bare, in groups, or among other words', () => {
    for (const text of [visa, '4111 1111 1111 1111', '4111-1111-1111-1111', `card: ${visa}.`, 'pay 4111 1111 1111 1111 2030', '378282246310005']) {
      expect(containsCardNumber(text), text).toBe(true);
    }
    expect(maskCardNumbers(`/orders?customerId=${visa}`)).toBe(`/orders?customerId=${CARD_NUMBER_MASK}`);
  });

  it('leaves numbers that are no card alone: failing Luhn, too short, too long, or part of a word', () => {
    for (const text of ['4111111111111112', '411111111111', '41111111111111111111', `cust${visa}`, `${visa}x`, 'order 12 of 2026-11-22']) {
      expect(containsCardNumber(text), text).toBe(false);
    }
  });

  // The fault suite found it: a UUID's hex groups are sometimes all digits, and an order id or idempotency key was refused.
  it('never takes a UUID for a card number, alone or in a path', () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        expect(containsCardNumber(id)).toBe(false);
        expect(maskCardNumbers(`/orders/${id}/cancel`)).toBe(`/orders/${id}/cancel`);
      }),
      { numRuns: 20_000, seed: 8 },
    );
    for (let i = 0; i < 20_000; i++) expect(containsCardNumber(randomUUID())).toBe(false);
    expect(containsCardNumber('12345678-1234-4234-9234-123456789012')).toBe(false);
  });
});
