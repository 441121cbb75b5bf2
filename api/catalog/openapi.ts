// The catalog routes' part of /openapi.json, registered next to the routes from the schemas they validate with.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { adminErrors, errorResponse, internal, invalid, json, ok, openRoute, tokenRoute, tooLarge, unauthenticated } from '../http/openapi.js';
import { ProductListSchema, ProductSchema, PutProductRequestSchema, SkuParamsSchema, WrittenProductSchema } from './schemas.js';

export function registerCatalogPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/products',
    operationId: 'listProducts',
    summary: "The catalog as the orders side's replica sees it",
    ...openRoute,
    responses: { 200: ok('All products', ProductListSchema), ...unauthenticated, ...internal },
  });

  registry.registerPath({
    method: 'get',
    path: '/products/{sku}',
    operationId: 'getProduct',
    summary: "One product as the orders side's replica sees it",
    ...openRoute,
    request: { params: SkuParamsSchema },
    responses: { 200: ok('The product', ProductSchema), ...unauthenticated, 404: errorResponse('NOT_FOUND: the replica does not know this sku'), ...internal },
  });

  registry.registerPath({
    method: 'put',
    path: '/products/{sku}',
    operationId: 'putProduct',
    summary: 'Create or change a product at its owner (inventory); the replica follows through events (admin only)',
    ...tokenRoute,
    request: { params: SkuParamsSchema, body: { required: true, content: json(PutProductRequestSchema) } },
    responses: {
      200: ok('Written by inventory; `revision` is what the replica will reach', WrittenProductSchema),
      ...invalid,
      ...adminErrors,
      ...tooLarge,
      ...internal,
      503: errorResponse('SERVICE_UNAVAILABLE: inventory is not reachable'),
    },
  });
}
