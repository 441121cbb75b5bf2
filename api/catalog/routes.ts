// The catalog routes: reads answer from the API's own catalog replica; writes go to the owner (inventory), whose answer is ours.
import { Router } from 'express';
import { NotFoundError } from '../../platform/http/errors.js';
import { parseRequest } from '../../platform/http/validation.js';
import type { ReplicaProduct } from '../../catalog-replica/index.js';
import { upstreamUrl, type CallUpstream } from '../http/upstream.js';
import { PutProductRequestSchema, SkuParamsSchema, type Product } from './schemas.js';
import { requireRole } from '../http/auth.js';

export interface CatalogRouterOptions {
  /** The api's own catalog replica; product reads never call inventory. */
  catalog: { list(): Promise<ReplicaProduct[]>; get(sku: string): Promise<ReplicaProduct | undefined> };
  inventoryUrl: string;
  callUpstream: CallUpstream;
}

const toProduct = (product: ReplicaProduct): Product => ({
  sku: product.sku,
  name: product.name,
  price: product.price,
  currency: product.currency,
  available: product.available,
  active: product.active,
});

export function createCatalogRouter({ catalog, inventoryUrl, callUpstream }: CatalogRouterOptions): Router {
  const router = Router();

  router.get('/products', async (_req, res) => {
    res.json({ products: (await catalog.list()).map(toProduct) });
  });

  router.get('/products/:sku', async (req, res) => {
    const { sku } = parseRequest(SkuParamsSchema, req.params, 'path');
    const product = await catalog.get(sku);
    if (!product) throw new NotFoundError(`Product ${sku} not found`);
    res.json(toProduct(product));
  });

  // Reads are open (a shop window); writes change what everyone is charged, so operators only.
  router.put('/products/:sku', requireRole('admin'), async (req, res) => {
    const { sku } = parseRequest(SkuParamsSchema, req.params, 'path');
    const body = parseRequest(PutProductRequestSchema, req.body, 'body');
    // The sku pattern already keeps "." and ".." out; encoding still makes sure the owner sees one path segment.
    const answer = await callUpstream('inventory', upstreamUrl(inventoryUrl, `/products/${encodeURIComponent(sku)}`), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    // The owner's own answer (its 200, or its 4xx in the shared error shape) is the caller's answer.
    res.status(answer.status).json(answer.body);
  });

  return router;
}
