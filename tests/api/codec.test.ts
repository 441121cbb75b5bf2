// The codec endpoint the Temporal UI decodes payloads with: the codec-server protocol, CORS for the UI's origin only, admins only.
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import type { RunningApi } from '../../api/index.js';
import { createCodecRouter } from '../../api/codec/routes.js';
import { errorMiddleware } from '../../platform/http/error-middleware.js';
import { HttpError } from '../../platform/http/errors.js';
import { createLogger } from '../../platform/logger.js';
import { AesGcmPayloadCodec } from '../../platform/temporal/payload-codec.js';
import { request, startTestApi, testConfig } from '../support/api.js';
import { adminAuth, customerAuth, TEST_PAYLOAD_KEYS } from '../support/secrets.js';

const UI_ORIGIN = 'http://127.0.0.1:8233';
const ADMIN_TOKEN = 'an-admin-token';
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Stands in for the app's admin guard (requireRole('admin')): it reads the bearer token, as the real one does. */
const adminOnly: RequestHandler = (req, _res, next) => {
  next(req.get('authorization') === `Bearer ${ADMIN_TOKEN}` ? undefined : new HttpError(401, 'UNAUTHORIZED', 'admin token required'));
};

/** The JSON the Temporal UI sends: a payload as the SDK's converter makes it, bytes in base64. */
function uiPayload(value: unknown) {
  const payload = defaultPayloadConverter.toPayload(value);
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, bytes]) => [key, Buffer.from(bytes).toString('base64')])),
    data: Buffer.from(payload.data!).toString('base64'),
  };
}

const order = { orderId: 'o-7', email: 'lin@example.com', paymentToken: 'sealed:v1:k2:abc' };

describe('codec router', () => {
  let base: string;
  let close: () => void;
  const call = (method: string, path: string, options?: Parameters<typeof request>[3]) => request(base, method, path, options);
  const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  /** As the UI's browser calls: no Authorization header at all (the shared helper would add an operator's). */
  const browserCall = async (path: string, body: unknown, headers: Record<string, string>) =>
    (await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })).status;

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    app.use(createCodecRouter({ codec: new AesGcmPayloadCodec(TEST_PAYLOAD_KEYS), allowedOrigin: UI_ORIGIN, authorize: adminOnly }));
    app.use(errorMiddleware(createLogger('test', 'silent')));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });

  afterAll(() => close?.());

  it('encodes what the UI sends and decodes it back to the same payload, encrypted in between', async () => {
    const plain = uiPayload(order);
    const encoded = await call('POST', '/codec/encode', { body: { payloads: [plain] }, headers: { ...asAdmin, 'x-namespace': 'default' } });
    expect(encoded.status).toBe(200);
    expect(encoded.body.payloads[0].metadata.encoding).toBe(b64('binary/encrypted'));
    expect(encoded.body.payloads[0].metadata['encryption-key-id']).toBe(b64('k2'));
    expect(Buffer.from(encoded.body.payloads[0].data, 'base64').toString('latin1')).not.toContain('lin@example.com');

    const decoded = await call('POST', '/codec/decode', { body: encoded.body, headers: { ...asAdmin, 'x-namespace': 'default' } });
    expect(decoded.status).toBe(200);
    expect(decoded.body).toEqual({ payloads: [plain] });
  });

  it('answers the UI origin\'s preflight with the headers the UI sends, and credentials allowed', async () => {
    const response = await fetch(`${base}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toBe('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('X-Namespace, Content-Type, Authorization');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('refuses a preflight and a request from any other origin, without CORS headers', async () => {
    const preflight = await fetch(`${base}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const post = await call('POST', '/codec/decode', { body: { payloads: [] }, headers: { ...asAdmin, origin: 'http://127.0.0.1:9999' } });
    expect(post.status).toBe(403);
    expect(post.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
  });

  it('answers 401 in the error shape without an admin token, and keeps the CORS headers so the UI can tell', async () => {
    for (const path of ['/codec/encode', '/codec/decode']) {
      const response = await call('POST', path, { body: { payloads: [uiPayload(order)] }, headers: { origin: UI_ORIGIN } });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    }
  });

  it('answers 400 VALIDATION_FAILED for a malformed body', async () => {
    const notBase64 = await call('POST', '/codec/decode', { body: { payloads: [{ metadata: { encoding: 'json plain, not base64' } }] }, headers: asAdmin });
    expect(notBase64.status).toBe(400);
    expect(notBase64.body.error.code).toBe('VALIDATION_FAILED');
    expect(notBase64.body.error.details[0].path).toBe('payloads.0.metadata.encoding');
    const unknownField = await call('POST', '/codec/decode', { body: { items: [] }, headers: asAdmin });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.details[0].path).toBe('items');
    const notAnObject = await call('POST', '/codec/decode', { rawBody: '[1]', headers: asAdmin });
    expect(notAnObject.status).toBe(400);
  });

  it('answers an empty list for `{}`, which proto3 JSON sends for no payloads (the CLI does)', async () => {
    const response = await call('POST', '/codec/decode', { body: {}, headers: asAdmin });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ payloads: [] });
  });

  it('answers 422 naming the key when a payload was encrypted with a key it does not have', async () => {
    const [foreign] = await new AesGcmPayloadCodec([{ id: 'retired', key: Buffer.alloc(32, 9) }]).encode([defaultPayloadConverter.toPayload(order)]);
    const body = { payloads: [{ metadata: Object.fromEntries(Object.entries(foreign!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(foreign!.data!).toString('base64') }] };
    const response = await call('POST', '/codec/decode', { body, headers: asAdmin });
    expect(response.status).toBe(422);
    expect(response.body.error).toMatchObject({ code: 'PAYLOAD_NOT_DECODABLE', message: expect.stringContaining('"retired"') });
  });

  it("lets the UI's browser send the admin token as a cookie set once through /codec/session", async () => {
    expect((await call('POST', '/codec/session')).status).toBe(401);
    const session = await fetch(`${base}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
    });
    expect(session.status).toBe(200);
    const setCookie = session.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^ensemble_codec_token=an-admin-token;/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/codec/);

    expect(await browserCall('/codec/encode', { payloads: [uiPayload(order)] }, { cookie: setCookie.split(';')[0]!, origin: UI_ORIGIN })).toBe(200);
    expect(await browserCall('/codec/encode', { payloads: [] }, { cookie: 'ensemble_codec_token=guess' })).toBe(401);
  });
});

describe('codec endpoint on the API', () => {
  let api: RunningApi;
  const infrastructure = inject('infrastructure');

  beforeAll(async () => {
    api = await startTestApi(testConfig(infrastructure));
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('decodes for an admin token or the admin session cookie, refuses customers and the anonymous, and answers the UI origin\'s preflight', async () => {
    const uiOrigin = new URL(infrastructure.temporalUiUrl).origin;
    const payloads = await new AesGcmPayloadCodec(TEST_PAYLOAD_KEYS).encode([defaultPayloadConverter.toPayload({ email: 'ada@example.com' })]);
    const body = { payloads: payloads.map((payload) => ({ metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(payload.data!).toString('base64') })) };
    const decodedEmail = (answer: { body: { payloads: { data: string }[] } }) => JSON.parse(Buffer.from(answer.body.payloads[0]!.data, 'base64').toString()).email;

    const asAdmin = await request(api.url, 'POST', '/codec/decode', { body, headers: { origin: uiOrigin, ...(await adminAuth()) } });
    expect(asAdmin.status).toBe(200);
    expect(decodedEmail(asAdmin)).toBe('ada@example.com');
    expect(asAdmin.headers.get('access-control-allow-origin')).toBe(uiOrigin);

    const asCustomer = await request(api.url, 'POST', '/codec/decode', { body, headers: { origin: uiOrigin, ...(await customerAuth('cust-codec')) } });
    expect(asCustomer.status).toBe(403);
    expect(asCustomer.body.error.code).toBe('FORBIDDEN');
    const forged = await request(api.url, 'POST', '/codec/decode', { body, headers: { origin: uiOrigin, authorization: 'Bearer anything' } });
    expect(forged.status).toBe(401);

    // The UI's browser cannot send a header: the session form keeps the admin token in a cookie the router turns into one.
    const adminToken = (await adminAuth()).authorization!.replace('Bearer ', '');
    const session = await fetch(`${api.url}/codec/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${adminToken}` });
    expect(session.status).toBe(200);
    const sessionCookie = session.headers.get('set-cookie')!.split(';')[0]!;
    const byCookie = await fetch(`${api.url}/codec/decode`, {
      method: 'POST',
      headers: { origin: uiOrigin, cookie: sessionCookie, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(byCookie.status).toBe(200);
    expect(decodedEmail({ body: (await byCookie.json()) as { payloads: { data: string }[] } })).toBe('ada@example.com');
    const customerSession = await fetch(`${api.url}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${(await customerAuth('cust-codec')).authorization!.replace('Bearer ', '')}`,
    });
    expect(customerSession.status).toBe(403);

    const preflight = await fetch(`${api.url}/codec/encode`, { method: 'OPTIONS', headers: { origin: uiOrigin, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
  });
});
