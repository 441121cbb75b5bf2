// The codec endpoint's part of /openapi.json, registered next to its routes from the schemas they validate with.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { errorResponse, internal, invalid, json, ok, openRoute, tokenRoute } from '../http/openapi.js';
import { CodecPayloadsSchema } from './schemas.js';

export function registerCodecPaths(registry: OpenAPIRegistry): void {
  const refused = {
    401: errorResponse('UNAUTHENTICATED: an admin bearer token is required (Authorization header, or the session cookie from /codec/session)'),
    403: errorResponse("FORBIDDEN: the token is not an admin's; or ORIGIN_NOT_ALLOWED: a browser page from an origin other than the Temporal UI's (CODEC_CORS_ORIGIN)"),
  };
  for (const direction of ['encode', 'decode'] as const) {
    registry.registerPath({
      method: 'post',
      path: `/codec/${direction}`,
      operationId: `codec${direction === 'encode' ? 'Encode' : 'Decode'}`,
      ...tokenRoute,
      tags: ['codec'],
      summary:
        direction === 'decode'
          ? 'Temporal UI and CLI codec server: decrypts payloads (PAYLOAD_KEYS) for an admin; payment tokens stay sealed'
          : 'Temporal UI and CLI codec server: encrypts payloads with the current key (e.g. a signal sent from the UI)',
      request: { body: { content: json(CodecPayloadsSchema) } },
      responses: {
        200: ok(`The payloads, ${direction}d, in the same shape`, CodecPayloadsSchema),
        ...invalid,
        ...refused,
        ...(direction === 'decode' ? { 422: errorResponse('PAYLOAD_NOT_DECODABLE: a key id not in PAYLOAD_KEYS, or altered data') } : {}),
        ...internal,
      },
    });
  }
  registry.registerPath({
    method: 'post',
    path: '/codec/session',
    operationId: 'codecSession',
    ...tokenRoute,
    tags: ['codec'],
    summary: "Keeps an admin token in an HttpOnly cookie (path /codec) so the Temporal UI's Data Encoder can send it (Include cross-origin credentials)",
    responses: { 204: { description: 'Cookie set' }, ...refused, ...internal },
  });
  registry.registerPath({
    method: 'get',
    path: '/codec/session',
    operationId: 'codecSessionPage',
    ...openRoute,
    tags: ['codec'],
    summary: 'A form (no script) to paste an admin token into, in the browser that runs the Temporal UI; it posts to /codec/session',
    responses: { 200: { description: 'The form', content: { 'text/html': { schema: { type: 'string' } } } } },
  });
  registry.registerPath({
    method: 'delete',
    path: '/codec/session',
    operationId: 'endCodecSession',
    ...openRoute,
    tags: ['codec'],
    summary: 'Forgets the admin token kept for the Temporal UI',
    responses: { 204: { description: 'Cookie cleared' } },
  });
}
