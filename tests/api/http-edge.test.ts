// The API's edge: request validation, the error shape, unknown routes and orders, health, readiness and the OpenAPI document.
import { randomUUID } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningApi } from '../../api/index.js';
import { request, startTestApi, testConfig, validOrder } from '../support/api.js';

let api: RunningApi;
const call = (method: string, path: string, options?: Parameters<typeof request>[3]) => request(api.url, method, path, options);

beforeAll(async () => {
  api = await startTestApi(testConfig(inject('infrastructure')));
});

afterAll(async () => {
  await api?.stop();
});

function expectValidationError(response: { status: number; body: any }, path: string, messagePart: string | RegExp) {
  expect(response.status).toBe(400);
  expect(Object.keys(response.body)).toEqual(['error']);
  expect(response.body.error.code).toBe('VALIDATION_FAILED');
  expect(typeof response.body.error.message).toBe('string');
  const detail = response.body.error.details.find((d: { path: string }) => d.path === path);
  expect(detail, `a detail for ${path} in ${JSON.stringify(response.body.error.details)}`).toBeDefined();
  expect(detail.message).toMatch(messagePart);
  expect(response.body.error.message).toContain(path);
}

describe('POST /orders validation (400 VALIDATION_FAILED naming the field)', () => {
  it('rejects an unknown top-level field by name', async () => {
    expectValidationError(await call('POST', '/orders', { body: validOrder({ coupon: 'FREE' }) }), 'coupon', /unknown field "coupon"/);
  });

  it('rejects an unknown field inside the shipping address by its full path', async () => {
    const order = validOrder();
    const response = await call('POST', '/orders', {
      body: { ...order, shippingAddress: { ...(order.shippingAddress as object), floor: 3 } },
    });
    expectValidationError(response, 'shippingAddress.floor', /unknown field/);
  });

  it('rejects quantity 0 on the line that has it', async () => {
    const response = await call('POST', '/orders', {
      body: validOrder({ items: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 0 }] }),
    });
    expectValidationError(response, 'items.1.quantity', /at least 1/);
    expect(response.body.error.details).toHaveLength(1);
  });

  it('rejects quantity above 100 and fractional quantities', async () => {
    expectValidationError(await call('POST', '/orders', { body: validOrder({ items: [{ sku: 'A', quantity: 101 }] }) }), 'items.0.quantity', /at most 100/);
    expectValidationError(await call('POST', '/orders', { body: validOrder({ items: [{ sku: 'A', quantity: 1.5 }] }) }), 'items.0.quantity', /integer/);
  });

  it('rejects 51 lines and an empty cart', async () => {
    const lines = Array.from({ length: 51 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));
    expectValidationError(await call('POST', '/orders', { body: validOrder({ items: lines }) }), 'items', /at most 50 lines/);
    expectValidationError(await call('POST', '/orders', { body: validOrder({ items: [] }) }), 'items', /at least 1 line/);
  });

  it('rejects a payment token that does not start with tok_', async () => {
    expectValidationError(await call('POST', '/orders', { body: validOrder({ paymentToken: '4111111111111111' }) }), 'paymentToken', /tok_/);
  });

  it('rejects a malformed e-mail address', async () => {
    expectValidationError(await call('POST', '/orders', { body: validOrder({ email: 'ada-at-example' }) }), 'email', /e-mail/);
  });

  it('rejects a country that is not a 2-letter ISO code, and a negative expectedTotal', async () => {
    const order = validOrder();
    expectValidationError(
      await call('POST', '/orders', { body: { ...order, shippingAddress: { ...(order.shippingAddress as object), country: 'England' } } }),
      'shippingAddress.country',
      /2-letter/,
    );
    expectValidationError(await call('POST', '/orders', { body: validOrder({ expectedTotal: -1 }) }), 'expectedTotal', /negative/);
  });

  it('names every missing required field', async () => {
    const response = await call('POST', '/orders', { body: {} });
    expect(response.status).toBe(400);
    const paths = response.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['customerId', 'email', 'items', 'paymentToken', 'shippingAddress']);
    expect(response.body.error.details.find((d: { path: string }) => d.path === 'email').message).toBe('email is required');
  });

  it('answers malformed JSON with 400 VALIDATION_FAILED in the same shape', async () => {
    const response = await call('POST', '/orders', { rawBody: '{"customerId": "c1", ' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('malformed JSON'), details: [{ path: 'body', message: expect.stringContaining('malformed JSON') }] },
    });
  });

  it('answers a body that is not a JSON object (or no body at all) with 400', async () => {
    expectValidationError(await call('POST', '/orders', { rawBody: '[1, 2]' }), 'body', /JSON object/);
    expectValidationError(await call('POST', '/orders'), 'body', /required/);
  });

  it('rejects an over-long Idempotency-Key before anything is stored', async () => {
    const response = await call('POST', '/orders', { body: validOrder(), headers: { 'Idempotency-Key': 'k'.repeat(300) } });
    expectValidationError(response, 'Idempotency-Key', /at most 255/);
  });

  it('answers a body over the size limit with 413 in the error shape', async () => {
    const response = await call('POST', '/orders', { rawBody: JSON.stringify(validOrder({ padding: 'x'.repeat(200_000) })) });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('not found', () => {
  it('answers an unknown order with 404 NOT_FOUND (Temporal has no such workflow)', async () => {
    const orderId = randomUUID();
    const response = await call('GET', `/orders/${orderId}`);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: `Order ${orderId} not found` } });
  });

  it('answers cancelling an unknown order with 404 NOT_FOUND', async () => {
    const response = await call('POST', `/orders/${randomUUID()}/cancel`);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });

  it('answers an order id that cannot exist with 404, not 500', async () => {
    const response = await call('GET', '/orders/not-a-uuid');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });

  it('answers unknown routes with 404 NOT_FOUND in the error shape', async () => {
    for (const [method, path] of [['GET', '/nothing-here'], ['DELETE', '/nothing/here']] as const) {
      const response = await call(method, path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: `No route for ${method} ${path}` } });
    }
  });

  it('answers an unknown method on a known path with 405 METHOD_NOT_ALLOWED and an Allow header', async () => {
    for (const [method, path, allow] of [['DELETE', '/orders', 'GET, POST, HEAD'], ['PATCH', '/products/MUG-001', 'GET, PUT, HEAD']] as const) {
      const response = await call(method, path);
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
      expect(response.body.error.code).toBe('METHOD_NOT_ALLOWED');
    }
  });

  it('answers an unknown sku with 404 NOT_FOUND from the replica', async () => {
    const response = await call('GET', `/products/NO-SUCH-${randomUUID().slice(0, 6)}`);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });
});

describe('GET /orders query validation', () => {
  it('rejects a limit outside 1–100, an unknown status and unknown parameters', async () => {
    expectValidationError(await call('GET', '/orders?limit=0'), 'limit', /at least 1/);
    expectValidationError(await call('GET', '/orders?limit=101'), 'limit', /at most 100/);
    expectValidationError(await call('GET', '/orders?status=SHIPPED'), 'status', /must be one of/);
    expectValidationError(await call('GET', '/orders?colour=red'), 'colour', /unknown field/);
  });

  it('rejects a cursor it did not hand out with 400, quickly', async () => {
    const started = Date.now();
    expectValidationError(await call('GET', '/orders?cursor=abcd'), 'cursor', /not valid/);
    expectValidationError(await call('GET', '/orders?cursor=eyJ4IjoxfQ.AAAAAAAAAAAAAAAA'), 'cursor', /not valid/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('owner services that are down', () => {
  it('validates PUT /products/:sku strictly before calling inventory', async () => {
    expectValidationError(await call('PUT', '/products/MUG-001', { body: { name: 'Mug', price: 12.5, available: 3 } }), 'price', /integer/);
    expectValidationError(await call('PUT', '/products/MUG-001', { body: { name: 'Mug', price: 1250, available: 3, colour: 'red' } }), 'colour', /unknown field/);
  });

  it('answers 503 SERVICE_UNAVAILABLE when inventory is unreachable', async () => {
    const response = await call('PUT', '/products/MUG-001', { body: { name: 'Mug', price: 1250, available: 3 } });
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('inventory') } });
  });

  it('requires orderId for GET /notifications and answers 503 when notifications is unreachable', async () => {
    expectValidationError(await call('GET', '/notifications'), 'orderId', /required/);
    const response = await call('GET', `/notifications?orderId=${randomUUID()}`);
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(response.body.error.message).toContain('notifications');
  });
});

describe('health and readiness', () => {
  it('GET /health answers 200 { status: "ok" }', async () => {
    expect(await call('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('GET /ready answers 200 with every check ok when Temporal, RabbitMQ and the store are reachable', async () => {
    const response = await call('GET', '/ready');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ready', checks: { temporal: 'ok', rabbitmq: 'ok', store: 'ok' } });
  });

  it('GET /products answers from the replica in the documented shape', async () => {
    const response = await call('GET', '/products');
    expect(response.status).toBe(200);
    expect(Array.isArray(response.body.products)).toBe(true);
  });
});

describe('GET /openapi.json', () => {
  const documentedRoutes = [
    ['post', '/orders'],
    ['get', '/orders'],
    ['get', '/orders/{orderId}'],
    ['get', '/orders/{orderId}/timeline'],
    ['post', '/orders/{orderId}/cancel'],
    ['get', '/products'],
    ['get', '/products/{sku}'],
    ['put', '/products/{sku}'],
    ['get', '/notifications'],
    ['get', '/health'],
    ['get', '/ready'],
    ['get', '/openapi.json'],
    // Operators' routes, beyond the customer-facing contract of design.md.
    ['get', '/admin/dead-letters'],
    ['get', '/admin/dead-letters/{queue}'],
    ['post', '/admin/dead-letters/{queue}/replay'],
    ['delete', '/admin/dead-letters/{queue}'],
    // The Temporal UI's codec endpoint (admins) and the session that lets the UI's browser send an admin token.
    ['post', '/codec/encode'],
    ['post', '/codec/decode'],
    ['get', '/codec/session'],
    ['post', '/codec/session'],
    ['delete', '/codec/session'],
  ] as const;

  it('is a valid OpenAPI 3.1 document', async () => {
    const response = await call('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toMatch(/^3\.1\./);
    // validate() dereferences in place; give it a copy so the assertions below see the document as served.
    await expect(SwaggerParser.validate(structuredClone(response.body))).resolves.toBeDefined();
  });

  it('lists every route of the design, and nothing else', async () => {
    const { body } = await call('GET', '/openapi.json');
    const listed = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item).filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key)).map((method) => `${method} ${path}`),
    );
    expect(listed.sort()).toEqual(documentedRoutes.map(([method, path]) => `${method} ${path}`).sort());
  });

  it('documents the status codes each order route answers with, errors in the shared shape', async () => {
    const { body } = await call('GET', '/openapi.json');
    const codes = (method: string, path: string) => Object.keys(body.paths[path][method].responses).sort();
    expect(codes('post', '/orders')).toEqual(['201', '400', '401', '403', '409', '413', '415', '422', '429', '500', '503']);
    expect(codes('get', '/orders/{orderId}')).toEqual(['200', '400', '401', '404', '429', '500', '503']);
    expect(codes('post', '/orders/{orderId}/cancel')).toEqual(['200', '400', '401', '404', '409', '429', '500', '503']);
    // Any request can be refused at the edge (a card number in the query, a bad token); probes are never rate-limited.
    expect(codes('get', '/ready')).toEqual(['200', '400', '401', '503']);
    expect(body.paths['/orders'].post.responses['422'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
    expect(body.paths['/orders'].post.responses['201'].headers.Location).toBeDefined();
    expect(body.components.schemas.CreateOrderRequest.additionalProperties).toBe(false);
  });
});
