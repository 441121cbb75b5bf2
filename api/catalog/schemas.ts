// The catalog routes' contract as zod schemas: requests are validated with them and their /openapi.json paths are generated from them.
import { z } from 'zod';
import { MAX_STORABLE_INTEGER, minorUnits, text, typeError } from '../http/schema-fields.js';

export const SkuSchema = z
  .string({ error: typeError('sku', 'a string') })
  .min(1, 'sku must not be empty')
  .max(64, 'sku must be at most 64 characters')
  // Starting with a letter or digit keeps "." and ".." out: a sku is a path segment at the owner too.
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'sku must start with a letter or digit and contain only letters, digits, ".", "_" and "-"')
  .meta({ description: 'Stock keeping unit', example: 'MUG-001' });

export const ProductSchema = z
  .strictObject({
    sku: z.string(),
    name: z.string(),
    price: z.number().int().meta({ description: 'Minor units' }),
    currency: z.string(),
    available: z.number().int(),
    active: z.boolean(),
  })
  .meta({ id: 'Product', description: 'A product as the orders side (its catalog replica) sees it' });
export type Product = z.infer<typeof ProductSchema>;

export const ProductListSchema = z.strictObject({ products: z.array(ProductSchema) }).meta({ id: 'ProductList' });

export const PutProductRequestSchema = z
  .strictObject({
    name: text('name', 200),
    price: minorUnits('price'),
    available: z
      .number({ error: typeError('available', 'a number') })
      .int('available must be an integer')
      .min(0, 'available must not be negative')
      .max(MAX_STORABLE_INTEGER, `available must be at most ${MAX_STORABLE_INTEGER}`),
    active: z.boolean({ error: typeError('active', 'true or false') }).optional(),
  }, { error: typeError('body', 'a JSON object') })
  .meta({ id: 'PutProductRequest' });

/** What inventory (the owner) answers; `revision` tells when the replica has caught up. */
export const WrittenProductSchema = ProductSchema.extend({ revision: z.number().int() }).meta({ id: 'WrittenProduct' });

export const SkuParamsSchema = z.strictObject({ sku: SkuSchema });
