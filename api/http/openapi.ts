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

/** The one security scheme: a bearer JWT whose `sub` is the customer id and whose `role` is customer or admin. */
export const BEARER_AUTH = 'bearerAuth';
/** Every route says who may call it: open routes with an empty list, the rest with the bearer token. */
export const openRoute = { security: [] };
export const tokenRoute = { security: [{ [BEARER_AUTH]: [] }] };
// A bad token is refused on every route, open ones included (api/http/auth.ts authenticate).
export const unauthenticated = {
  401: errorResponse('UNAUTHENTICATED: no bearer token, or one that is expired, forged or not for this API; WWW-Authenticate says which'),
};
export const forbidden = (why: string) => ({ 403: errorResponse(`FORBIDDEN: ${why}`) });
/** What an admin-only route adds: 401 without a valid token, 403 with a customer's. */
export const adminErrors = { ...unauthenticated, ...forbidden("the token is not an admin's") };

export const registerOpenApiPath: RegisterPaths = (registry) => {
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    ...openRoute,
    responses: { 200: { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
  });
};

/** The document, with the paths in the order the concerns are given (which is the order they appear in). */
export function buildOpenApiDocument(concerns: RegisterPaths[], serverUrl?: string) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER_AUTH, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'HS256 with the API\'s JWT_SECRET, or RS256/ES256 from the identity provider\'s JWKS (JWT_JWKS_URL); iss and aud checked, exp required. ' +
      '`sub` is the customer id; `role` is `customer` (their own orders only) or `admin` (everything, /admin and catalog writes).',
  });
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
