// The demo catalog a fresh installation starts with (when SEED_DEMO_CATALOG is on), so the stack can take orders at once.
import type { Logger } from '../../platform/logger.js';
import { addToOutbox } from '../../platform/messaging/inbox-outbox.js';
import type { Database } from '../../platform/store/database.js';
import { productUpdatedEvent } from './handlers.js';
import { INVENTORY_SCHEMA, createInventoryStore, type ProductInput } from './store.js';

export const demoCatalog: readonly (ProductInput & { sku: string })[] = [
  { sku: 'TSHIRT-BLK-M', name: 'Black T-shirt (M)', price: 1999, available: 100, active: true },
  { sku: 'MUG-LOGO', name: 'Logo mug', price: 1250, available: 100, active: true },
  { sku: 'HOODIE-GRY-L', name: 'Grey hoodie (L)', price: 4999, available: 100, active: true },
  { sku: 'STICKER-PACK', name: 'Sticker pack', price: 499, available: 100, active: true },
  { sku: 'POSTER-A2', name: 'Poster (A2)', price: 1500, available: 100, active: true },
  { sku: 'CAP-RED', name: 'Red cap', price: 1800, available: 100, active: false },
];

/**
 * Seeds the demo catalog when the products table is empty; returns whether it did. The lock makes two instances
 * starting together seed once, and the product-updated events go out through the outbox like any other change.
 */
export async function seedDemoCatalog(db: Database, log: Logger): Promise<boolean> {
  const seeded = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['inventory:seed-demo-catalog']);
    const store = createInventoryStore(tx);
    if ((await store.countProducts()) > 0) return false;
    for (const { sku, ...input } of demoCatalog) {
      const product = await store.upsertProduct(sku, input);
      await addToOutbox(tx, INVENTORY_SCHEMA, productUpdatedEvent(product, { correlationId: 'demo-catalog', causationId: 'demo-catalog' }));
    }
    return true;
  });
  if (seeded) log.info({ products: demoCatalog.length }, 'demo catalog seeded');
  return seeded;
}
