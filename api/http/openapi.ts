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

/** Answers the edge gives before any route runs; added to every operation so a client is told of them once, consistently. */
const edgeResponses = {
  400: 'VALIDATION_FAILED: a field breaks its schema, a path does not decode, a body nests too deep, or a card number was sent anywhere (never echoed)',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not JSON, or in a Content-Encoding other than gzip, deflate or br',
  413: 'PAYLOAD_TOO_LARGE: the body (decompressed) exceeds the size limit',
  429: 'RATE_LIMITED: the client spent its requests for this minute; Retry-After says when to come back',
};

/** Paths the rate limit leaves alone (api/http/rate-limit.ts). */
const unthrottledPaths = ['/health', '/ready'];

type Operation = { requestBody?: unknown; responses?: Record<string, unknown> };

/** Adds the edge's answers to each operation that can get them, in the shared error shape. */
function addEdgeResponses(paths: Record<string, Record<string, unknown>>, errorSchemaRef: object): void {
  const error = (description: string) => ({ description, content: { 'application/json': { schema: errorSchemaRef } } });
  for (const [path, item] of Object.entries(paths)) {
    for (const operation of Object.values(item) as Operation[]) {
      if (!operation.responses) continue;
      const responses = operation.responses;
      responses['400'] ??= error(edgeResponses[400]);
      if (operation.requestBody) {
        responses['413'] ??= error(edgeResponses[413]);
        responses['415'] ??= error(edgeResponses[415]);
      }
      if (!unthrottledPaths.includes(path)) {
        responses['429'] ??= {
          ...error(edgeResponses[429]),
          headers: { 'Retry-After': { description: 'Seconds until the budget is renewed', schema: { type: 'integer', minimum: 0 } } },
        };
      }
    }
  }
}

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
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Ensemble order API',
      version: '0.1.0',
      description:
        'Orders are orchestrated by one Temporal workflow each; inventory and notifications react to events. ' +
        'Money is in integer minor units. Every error is { "error": { "code", "message", "details"? } }; unknown routes answer 404 NOT_FOUND, ' +
        'a documented path asked with another method 405 METHOD_NOT_ALLOWED with an Allow header. Request bodies are JSON (415 otherwise). ' +
        'A raw card number (13–19 digits, spaces or dashes allowed, passing the Luhn check) in any string of a request is refused with 400 ' +
        'and never echoed or logged: pay with a payment token. Each client (token subject, or address) has a per-minute budget (429 with Retry-After).',
    },
    servers: serverUrl ? [{ url: serverUrl }] : [],
  });
  addEdgeResponses(document.paths as Record<string, Record<string, unknown>>, { $ref: '#/components/schemas/ErrorResponse' });
  return document;
}
