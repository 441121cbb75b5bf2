// Cart verification rules, applied to the local catalog replica: prices always come from the replica, never from the client.
import type { CartIssue, CartVerification, OrderItem, OrderLine } from '../workflows/contract.js';
import type { ReplicaProduct } from '../catalog-replica/store.js';

/** Most units of one sku a single order may take, whatever the stock (keeps one buyer from draining a product). */
export const MAX_UNITS_PER_SKU = 100;

export function verifyCartAgainst(
  items: readonly OrderItem[],
  products: ReadonlyMap<string, ReplicaProduct>,
  expectedTotal?: number,
): CartVerification {
  const issues: CartIssue[] = [];
  const lines: OrderLine[] = [];
  const requested = new Map<string, number>();
  for (const item of items) requested.set(item.sku, (requested.get(item.sku) ?? 0) + item.quantity);

  for (const [sku, quantity] of requested) {
    const product = products.get(sku);
    if (!product) issues.push({ sku, reason: 'UNKNOWN_SKU' });
    else if (!product.active) issues.push({ sku, reason: 'INACTIVE' });
    else if (quantity > MAX_UNITS_PER_SKU) issues.push({ sku, reason: 'QUANTITY_LIMIT' });
    else if (quantity > product.available) issues.push({ sku, reason: 'INSUFFICIENT_STOCK' });
    else lines.push({ sku, name: product.name, quantity, unitPrice: product.price, lineTotal: product.price * quantity });
  }
  if (issues.length > 0) return { valid: false, issues };

  const currencies = new Set(lines.map((line) => products.get(line.sku)!.currency));
  if (currencies.size > 1) return { valid: false, issues: lines.map(({ sku }) => ({ sku, reason: 'PRICE_CHANGED' as const })) };

  const total = lines.reduce((sum, line) => sum + line.lineTotal, 0);
  if (expectedTotal !== undefined && expectedTotal !== total) {
    // The client priced the cart differently: every line's price is suspect, so every line is named.
    return { valid: false, issues: lines.map(({ sku }) => ({ sku, reason: 'PRICE_CHANGED' as const })) };
  }
  return { valid: true, lines, total, currency: [...currencies][0] ?? 'USD' };
}
