// Hostile input against the real API (real Temporal underneath): every oddity an outside client can send gets its documented status and error shape, never a 500, a stack trace or a logged card number.
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApi, type RunningApi } from '../../api/index.js';
import { createLogger } from '../../platform/logger.js';
import { orderTaskQueue } from '../../workflows/contract.js';
import { rawRequest, request, startTestApi, startTestWorker, testConfig, validOrder, type TestWorker } from '../support/api.js';
import { adminAuth, customerAuth } from '../support/secrets.js';

const infrastructure = inject('infrastructure');
const CARD = '4111111111111111';
const SPACED_CARD = '4111 1111 1111 1111';

let api: RunningApi;
let worker: TestWorker;
/** Every line the API logged, to prove what it never writes down. */
const logLines: string[] = [];

beforeAll(async () => {
  const config = testConfig(infrastructure, { LOG_LEVEL: 'debug' });
  api = await startApi(config, createLogger('api', 'debug', { write: (line: string) => void logLines.push(line) }));
  worker = await startTestWorker(infrastructure.temporalAddress, orderTaskQueue(config));
});

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
});

async function call(method: string, path: string, options: Parameters<typeof request>[3] = {}) {
  return request(api.url, method, path, { ...options, headers: { ...(await adminAuth()), ...options.headers } });
}

async function raw(method: string, path: string, options: Parameters<typeof rawRequest>[3] = {}) {
  return rawRequest(api.url, method, path, { ...options, headers: { ...(await adminAuth()), ...options.headers } });
}

/** The documented error shape, with nothing of the server's insides: no stack frame, no file, no module path. */
function expectError(response: { status: number; body: any }, status: number, code: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(Object.keys(response.body)).toEqual(['error']);
  expect(Object.keys(response.body.error).every((key) => ['code', 'message', 'details', 'orderId'].includes(key))).toBe(true);
  expect(response.body.error.code).toBe(code);
  expect(typeof response.body.error.message).toBe('string');
  expect(JSON.stringify(response.body)).not.toMatch(/\bat .+:\d+:\d+|node_modules|\.ts\b|Error:/);
}

/** 400 VALIDATION_FAILED with a detail for `path`. */
function expectFieldRefused(response: { status: number; body: any }, path: string, message?: RegExp) {
  expectError(response, 400, 'VALIDATION_FAILED');
  const detail = response.body.error.details?.find((d: { path: string }) => d.path === path);
  expect(detail, `a detail for ${path} in ${JSON.stringify(response.body.error.details)}`).toBeDefined();
  if (message) expect(detail.message).toMatch(message);
}

const withAddress = (address: Record<string, unknown>) => {
  const order = validOrder();
  return { ...order, shippingAddress: { ...(order.shippingAddress as object), ...address } };
};

describe('bodies that are not what the schema says', () => {
  it('answers malformed JSON with 400 and does not quote the body back', async () => {
    const response = await call('POST', '/orders', { rawBody: `{"customerId": "${CARD}", "items": [` });
    expectFieldRefused(response, 'body', /malformed JSON/);
    expect(JSON.stringify(response.body)).not.toContain('4111');
  });

  it('names each field of the wrong type, each missing field and each unknown one', async () => {
    const response = await call('POST', '/orders', {
      body: { customerId: 42, email: 'ada@example.com', items: 'two mugs', shippingAddress: [], coupon: 'FREE' },
    });
    expectError(response, 400, 'VALIDATION_FAILED');
    const paths = response.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['coupon', 'customerId', 'items', 'paymentToken', 'shippingAddress']);
  });

  it('refuses huge strings by their field, and a body over the limit with 413', async () => {
    expectFieldRefused(await call('POST', '/orders', { body: validOrder({ customerId: 'c'.repeat(10_000) }) }), 'customerId', /at most 100/);
    expectFieldRefused(await call('POST', '/orders', { body: withAddress({ name: 'n'.repeat(90_000) }) }), 'shippingAddress.name', /at most 200/);
    expectError(await call('POST', '/orders', { body: withAddress({ name: 'n'.repeat(150_000) }) }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses a huge array by its length', async () => {
    const items = Array.from({ length: 2_000 }, (_, i) => ({ sku: `S${i}`, quantity: 1 }));
    expectFieldRefused(await call('POST', '/orders', { body: validOrder({ items }) }), 'items', /at most 50 lines/);
  });

  it('refuses deep nesting with 400, however deep, without a 500', async () => {
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const tooDeep = await call('POST', '/orders', { rawBody: `{"customerId": ${nested(40)}}` });
    expectError(tooDeep, 400, 'VALIDATION_FAILED');
    expect(tooDeep.body.error.details).toEqual([{ path: `customerId${'.0'.repeat(31)}`, message: 'nested deeper than 32 levels' }]);
    // As deep as the size limit allows: 45,000 levels.
    const deepest = await call('POST', '/orders', { rawBody: nested(45_000) });
    expectError(deepest, 400, 'VALIDATION_FAILED');
  });

  it('refuses quantities that are negative, zero, fractional, huge or strings, and totals past what a store keeps', async () => {
    for (const quantity of [-1, 0, 1.5, 101, 1e308, '2']) {
      expectFieldRefused(await call('POST', '/orders', { body: validOrder({ items: [{ sku: 'MUG-001', quantity }] }) }), 'items.0.quantity');
    }
    expectFieldRefused(await call('POST', '/orders', { body: validOrder({ expectedTotal: 2 ** 31 }) }), 'expectedTotal', /at most/);
    expectFieldRefused(await call('POST', '/orders', { body: validOrder({ expectedTotal: 1e20 }) }), 'expectedTotal', /integer/);
    expectFieldRefused(await call('PUT', '/products/MUG-001', { body: { name: 'Mug', price: 2 ** 31, available: 1 } }), 'price', /at most/);
  });

  it('refuses the same sku on two lines, naming the second (one line per sku; the quantity limit is per line)', async () => {
    const items = [{ sku: 'MUG-001', quantity: 60 }, { sku: 'TEE-002', quantity: 1 }, { sku: 'MUG-001', quantity: 60 }];
    expectFieldRefused(await call('POST', '/orders', { body: validOrder({ items }) }), 'items.2.sku', /duplicate sku MUG-001/);
  });
});

describe('unicode that no store or reader should keep', () => {
  it('refuses NUL and other control characters in identifiers and in free text', async () => {
    expectFieldRefused(await call('POST', '/orders', { body: validOrder({ customerId: 'cust-\u0000' }) }), 'customerId', /printable ASCII/);
    expectFieldRefused(await call('POST', '/orders', { body: withAddress({ line1: '12 St James Sq\u0000' }) }), 'shippingAddress.line1', /control characters/);
    expectFieldRefused(await call('POST', '/orders', { body: withAddress({ city: 'London\r\nBcc: x@example.com' }) }), 'shippingAddress.city', /control characters/);
    expectFieldRefused(await call('PUT', '/products/MUG-001', { body: { name: 'Mug\u001b[31m', price: 100, available: 1 } }), 'name', /control characters/);
  });

  it('refuses the right-to-left override (U+202E) in identifiers and free text', async () => {
    expectFieldRefused(await call('POST', '/orders', { body: validOrder({ customerId: 'cust-\u202Egnp.exe' }) }), 'customerId');
    expectFieldRefused(await call('POST', '/orders', { body: withAddress({ name: 'Ada \u202ELovelace' }) }), 'shippingAddress.name', /bidirectional/);
  });

  it('refuses lone surrogates, which cannot be stored as UTF-8', async () => {
    const body = JSON.stringify(withAddress({ name: 'PLACEHOLDER' })).replace('PLACEHOLDER', 'Ada \\ud800 Lovelace');
    expectFieldRefused(await call('POST', '/orders', { rawBody: body }), 'shippingAddress.name', /surrogates/);
  });

  it('accepts real right-to-left text, accents and emoji in free text', async () => {
    const response = await call('POST', '/orders', { body: withAddress({ name: 'أدا لوفليس 😀', line1: 'Rue de l’Église 3', city: 'Zürich' }) });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });

  it('refuses the same characters in query and path parameters, at once (no 11 s wait on Temporal)', async () => {
    const started = Date.now();
    expectFieldRefused(await call('GET', '/orders?customerId=%00'), 'customerId');
    expectFieldRefused(await call('GET', '/orders?customerId=%E2%80%AEx'), 'customerId');
    expectFieldRefused(await call('GET', '/notifications?orderId=%00'), 'orderId');
    expectFieldRefused(await raw('GET', '/orders/%00'), 'orderId');
    expectFieldRefused(await raw('GET', '/products/%E2%80%AE'), 'sku');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('injection-looking text', () => {
  const lookalikes = ["cust';DROP_TABLE_orders;--", '<script>alert(1)</script>', '${jndi:ldap://x/a}', '{{7*7}}'];

  it('accepts them where they are valid identifiers, and echoes them as JSON data, unchanged', async () => {
    for (const customerId of lookalikes) {
      const placed = await call('POST', '/orders', { body: validOrder({ customerId }) });
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      expect(placed.headers.get('content-type')).toMatch(/^application\/json/);
      expect(placed.headers.get('x-content-type-options')).toBe('nosniff');
      const read = await call('GET', `/orders/${placed.body.orderId}`);
      expect(read.body.customerId).toBe(customerId);
    }
  });

  it('accepts them as free text (stored with parameters, never interpolated)', async () => {
    const response = await call('POST', '/orders', { body: withAddress({ name: "Robert'); DROP TABLE orders;--", line2: '<img src=x onerror=alert(1)>' }) });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });

  it('refuses them where the field has a pattern (sku, country, payment token)', async () => {
    expectFieldRefused(await call('POST', '/orders', { body: validOrder({ items: [{ sku: '<script>', quantity: 1 }] }) }), 'items.0.sku');
    expectFieldRefused(await call('POST', '/orders', { body: withAddress({ country: "G'B" }) }), 'shippingAddress.country');
    expectFieldRefused(await call('POST', '/orders', { body: validOrder({ paymentToken: "tok_visa' OR 1=1" }) }), 'paymentToken');
  });
});

describe('card numbers', () => {
  it('refuses a card number in any string of the body, the query or the path, without echoing it', async () => {
    const answers = [
      [await call('POST', '/orders', { body: withAddress({ line2: `card ${SPACED_CARD} exp 12/30` }) }), 'shippingAddress.line2'],
      [await call('POST', '/orders', { body: validOrder({ paymentToken: CARD }) }), 'paymentToken'],
      [await call('POST', '/orders', { body: validOrder({ [CARD]: 1 }) }), 'body'],
      [await call('PUT', '/products/MUG-001', { body: { name: `Mug 4111-1111-1111-1111`, price: 100, available: 1 } }), 'name'],
      [await call('GET', `/orders?customerId=${CARD}`), 'customerId'],
      [await call('GET', `/orders?colour=${encodeURIComponent(SPACED_CARD)}`), 'colour'],
      [await raw('GET', `/orders/${CARD}`), 'path'],
      [await raw('GET', `/nothing/%34%31%31%31%31%31%31%31%31%31%31%31%31%31%31%31`), 'path'],
      [await call('POST', '/orders', { body: validOrder(), headers: { 'Idempotency-Key': CARD } }), 'Idempotency-Key'],
    ] as const;
    for (const [response, path] of answers) {
      expectFieldRefused(response, path, /card number/);
      expect(JSON.stringify(response.body)).not.toMatch(/4111[ -]?1111/);
    }
  });

  it('lets digits through that are no card number (fail Luhn, too short, too long)', async () => {
    const response = await call('POST', '/orders', { body: withAddress({ line2: 'Ref 4111111111111112 / 123456789012 / 12345678901234567890123' }) });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });

  it('never writes one to the log, not even the URL of a refused request', async () => {
    await call('GET', `/orders?customerId=${CARD}`);
    await raw('GET', `/orders/${CARD}`);
    await call('GET', `/products?q=${encodeURIComponent(SPACED_CARD)}`);
    const logged = logLines.join('\n');
    expect(logged).toContain('[card number]');
    expect(logged).not.toMatch(/4111[ -]?1111[ -]?1111[ -]?1111/);
  });
});

describe('headers', () => {
  it('refuses bad idempotency keys before anything is stored', async () => {
    expectFieldRefused(await call('POST', '/orders', { body: validOrder(), headers: { 'Idempotency-Key': 'two words' } }), 'Idempotency-Key', /printable ASCII/);
    expectFieldRefused(await call('POST', '/orders', { body: validOrder(), headers: { 'Idempotency-Key': 'k'.repeat(256) } }), 'Idempotency-Key', /at most 255/);
    const latin1 = await raw('POST', '/orders', { body: JSON.stringify(validOrder()), headers: { 'content-type': 'application/json', 'Idempotency-Key': 'cl\u00e9' } });
    expectFieldRefused(latin1, 'Idempotency-Key');
  });

  it('refuses a body that is not JSON with 415, whatever its type', async () => {
    const body = JSON.stringify(validOrder());
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      expectError(await raw('POST', '/orders', { body, headers: { 'content-type': type } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    expectError(await raw('POST', '/orders', { body }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('reads gzip bodies, and answers a body that is not what its Content-Encoding says with 400, an unknown encoding with 415', async () => {
    const json = { 'content-type': 'application/json' };
    const gzipped = await raw('POST', '/orders', { body: gzipSync(JSON.stringify(validOrder())), headers: { ...json, 'content-encoding': 'gzip' } });
    expect(gzipped.status, gzipped.text).toBe(201);
    expectFieldRefused(await raw('POST', '/orders', { body: JSON.stringify(validOrder()), headers: { ...json, 'content-encoding': 'gzip' } }), 'body', /Content-Encoding/);
    expectFieldRefused(await raw('POST', '/orders', { body: gzipSync('x').subarray(0, 8), headers: { ...json, 'content-encoding': 'gzip' } }), 'body');
    expectError(await raw('POST', '/orders', { body: 'x', headers: { ...json, 'content-encoding': 'compress' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('counts the size limit after decompression (a gzip bomb is a 413)', async () => {
    const bomb = gzipSync(`{"customerId":"${'0'.repeat(10_000_000)}"}`);
    expect(bomb.length).toBeLessThan(100_000);
    expectError(await raw('POST', '/orders', { body: bomb, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('sends security headers: a strict CSP without inline script, nosniff, no framing, no X-Powered-By', async () => {
    const response = await call('GET', '/products');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});

describe('paths', () => {
  it("refuses '..' as a sku (it would reach another route of inventory) for reads and writes", async () => {
    const product = JSON.stringify({ name: 'Mug', price: 100, available: 1 });
    const json = { 'content-type': 'application/json' };
    // INVENTORY_URL points nowhere: had the request been forwarded, the answer would be 503.
    expectFieldRefused(await raw('PUT', '/products/..', { body: product, headers: json }), 'sku', /start with a letter or digit/);
    expectFieldRefused(await raw('PUT', '/products/%2E%2E', { body: product, headers: json }), 'sku');
    expectFieldRefused(await raw('PUT', '/products/.hidden', { body: product, headers: json }), 'sku');
    expectFieldRefused(await raw('GET', '/products/%2E%2E'), 'sku');
    expectFieldRefused(await raw('PUT', '/products/a%2Fb', { body: product, headers: json }), 'sku');
  });

  it('answers malformed percent-encoding with 400, on known and unknown routes', async () => {
    for (const path of ['/orders/%ZZ', '/products/%E0%A4%A', '/orders/%ZZ/cancel', '/nowhere/%ZZ']) {
      expectFieldRefused(await raw('GET', path), 'path', /percent-encoding/);
    }
  });

  it('answers very long ids with 400 naming the parameter, not a 10 kB echo', async () => {
    const response = await raw('GET', `/orders/${'a'.repeat(8_000)}`);
    expectFieldRefused(response, 'orderId', /at most 100/);
    expect(response.text.length).toBeLessThan(1_000);
  });

  it('answers a printable id that is no UUID with 404, and a wrong method with 405 and Allow', async () => {
    expectError(await raw('GET', '/orders/not-a-uuid'), 404, 'NOT_FOUND');
    const wrongMethod = await raw('DELETE', `/orders/${randomUUID()}`);
    expectError(wrongMethod, 405, 'METHOD_NOT_ALLOWED');
    expect(wrongMethod.headers.allow).toBe('GET, HEAD');
    expectError(await raw('GET', '/orders/x/y/z'), 404, 'NOT_FOUND');
  });
});

describe('the rate limit (its own API, with a budget of 3 a minute and the loopback proxy trusted)', () => {
  let limited: RunningApi;

  beforeAll(async () => {
    limited = await startTestApi(testConfig(infrastructure, { RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback' }));
  });

  afterAll(async () => {
    await limited?.stop();
  });

  /** Without a token the client is its address (behind the trusted proxy, X-Forwarded-For); with one, the token's subject. */
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${limited.url}${path}`, { headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) };
  };

  it('answers the fourth request of a minute with 429 RATE_LIMITED and Retry-After; probes and other clients go on', async () => {
    const client = { 'x-forwarded-for': '198.51.100.1' };
    for (let i = 0; i < 3; i++) expect((await get('/products', client)).status).toBe(200);
    const refused = await get('/products', client);
    expectError(refused, 429, 'RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60).toBe(true);
    expect(refused.headers.get('ratelimit-policy')).toBeTruthy();

    // Readiness probes are never throttled.
    expect((await get('/health', client)).status).toBe(200);
    expect((await get('/ready', client)).status).toBe(200);
    // Behind the trusted proxy, another address is another client with its own budget.
    expect((await get('/products', { 'x-forwarded-for': '198.51.100.2' })).status).toBe(200);
  });

  it('counts a signed-in client by its token, not its address: two customers behind one address have a budget each', async () => {
    const address = { 'x-forwarded-for': '198.51.100.3' };
    const first = { ...address, ...(await customerAuth('cust-budget-1')) };
    const second = { ...address, ...(await customerAuth('cust-budget-2')) };
    for (let i = 0; i < 3; i++) expect((await get('/products', first)).status).toBe(200);
    expect((await get('/products', first)).status).toBe(429);
    expect((await get('/products', second)).status).toBe(200);
    expect((await get('/products', address)).status).toBe(200);
  });
});
