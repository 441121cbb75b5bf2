// /openapi.json (OpenAPI 3.1) assembled from the paths each concern registers next to its routes, from the same zod schemas the routes validate with.
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { ErrorResponseSchema } from './error-schemas.js';

/** A concern's contribution to the document: it registers its own paths. */
export type RegisterPaths = (registry: OpenAPIRegistry) => void;

export const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
export const ok = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: json(schema) });
export const errorResponse = (description: string): ResponseConfig => ({ description, content: json(ErrorResponseSchema) });

// Answers many routes share, in the documented error shape.
export const internal = { 500: errorResponse('INTERNAL: unexpected failure (no internals are exposed)') };
export const invalid = { 400: errorResponse('VALIDATION_FAILED: details name each field: [{ path, message }]') };
export const tooLarge = { 413: errorResponse('PAYLOAD_TOO_LARGE: the body exceeds the size limit') };

export const registerOpenApiPath: RegisterPaths = (registry) => {
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
  });
};

/** The document, with the paths in the order the concerns are given (which is the order they appear in). */
export function buildOpenApiDocument(concerns: RegisterPaths[], serverUrl?: string) {
  const registry = new OpenAPIRegistry();
  for (const register of concerns) register(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Ensemble order API',
      version: '0.1.0',
      description:
        'Orders are orchestrated by one Temporal workflow each; inventory and notifications react to events. ' +
        'Money is in integer minor units. Every error is { "error": { "code", "message", "details"? } }; unknown routes answer 404 NOT_FOUND.',
    },
    servers: serverUrl ? [{ url: serverUrl }] : [],
  });
}
