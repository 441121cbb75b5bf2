// Cart verification rules against a catalog replica snapshot.
import { describe, expect, it } from 'vitest';
import { MAX_UNITS_PER_SKU, verifyCartAgainst } from '../../activities/cart-verification.js';
import type { ReplicaProduct } from '../../catalog-replica/store.js';

const product = (sku: string, overrides: Partial<ReplicaProduct> = {}): ReplicaProduct => ({
  sku, name: `Product ${sku}`, price: 1000, currency: 'USD', available: 10, active: true, revision: 1, ...overrides,
});
const catalog = new Map([
  ['A', product('A', { price: 1250 })],
  ['B', product('B', { price: 499, available: 1 })],
  ['OLD', product('OLD', { active: false })],
  ['BULK', product('BULK', { available: 1_000 })],
]);

describe('verifyCartAgainst', () => {
  it('prices lines from the replica and computes the total server-side', () => {
    expect(verifyCartAgainst([{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }], catalog)).toEqual({
      valid: true,
      currency: 'USD',
      total: 2 * 1250 + 499,
      lines: [
        { sku: 'A', name: 'Product A', quantity: 2, unitPrice: 1250, lineTotal: 2500 },
        { sku: 'B', name: 'Product B', quantity: 1, unitPrice: 499, lineTotal: 499 },
      ],
    });
  });

  it('names every problem line with its reason', () => {
    const result = verifyCartAgainst(
      [{ sku: 'NOPE', quantity: 1 }, { sku: 'OLD', quantity: 1 }, { sku: 'B', quantity: 2 }, { sku: 'A', quantity: 1 }],
      catalog,
    );
    expect(result).toEqual({
      valid: false,
      issues: [
        { sku: 'NOPE', reason: 'UNKNOWN_SKU' },
        { sku: 'OLD', reason: 'INACTIVE' },
        { sku: 'B', reason: 'INSUFFICIENT_STOCK' },
      ],
    });
  });

  it('adds up repeated lines of one sku before checking stock and limits', () => {
    expect(verifyCartAgainst([{ sku: 'B', quantity: 1 }, { sku: 'B', quantity: 1 }], catalog)).toMatchObject({
      valid: false, issues: [{ sku: 'B', reason: 'INSUFFICIENT_STOCK' }],
    });
    expect(verifyCartAgainst([{ sku: 'BULK', quantity: 100 }, { sku: 'BULK', quantity: 1 }], catalog)).toMatchObject({
      valid: false, issues: [{ sku: 'BULK', reason: 'QUANTITY_LIMIT' }],
    });
    expect(MAX_UNITS_PER_SKU).toBe(100);
  });

  it('rejects with PRICE_CHANGED when the client expected another total', () => {
    expect(verifyCartAgainst([{ sku: 'A', quantity: 1 }], catalog, 1000)).toEqual({
      valid: false, issues: [{ sku: 'A', reason: 'PRICE_CHANGED' }],
    });
    expect(verifyCartAgainst([{ sku: 'A', quantity: 1 }], catalog, 1250)).toMatchObject({ valid: true, total: 1250 });
  });
});
