// The documented error body of the API, as zod schemas for /openapi.json (the shape every route answers errors with).
import { z } from 'zod';

export const ErrorDetailSchema = z
  .object({
    path: z.string().optional().meta({ description: 'Where the problem is, dot-separated (VALIDATION_FAILED)' }),
    message: z.string().optional(),
    sku: z.string().optional().meta({ description: 'Which cart line (CART_INVALID)' }),
    reason: z.string().optional().meta({ description: 'Why the line was refused (CART_INVALID)' }),
    component: z.string().optional().meta({ description: 'Which dependency (NOT_READY)' }),
    ok: z.boolean().optional(),
    error: z.string().optional(),
  })
  .meta({ id: 'ErrorDetail' });

export const ErrorResponseSchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().meta({ example: 'VALIDATION_FAILED' }),
      message: z.string(),
      details: z.array(ErrorDetailSchema).optional(),
      orderId: z.string().optional().meta({ description: 'The rejected order (CART_INVALID only)' }),
    }),
  })
  .meta({ id: 'ErrorResponse', description: 'Every error has this shape' });
