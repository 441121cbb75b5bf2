// Specification of the payment provider stand-in: test tokens, idempotency, the authorization state machine, faults, shutdown.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { startPaymentProvider, type PaymentProvider } from '../../payment-provider/server.js';
import { createTestDatabase } from '../support/databases.js';
import { serviceAuth, TEST_SECRETS } from '../support/secrets.js';

const log = createLogger('payment-provider', 'silent');

interface Store {
  name: string;
  /** Returns the DATABASE_URL to use (undefined for PGlite) and how to clean up. */
  prepare(): Promise<{ databaseUrl?: string; cleanup: () => Promise<void> }>;
}

const { postgresUrl } = inject('infrastructure');
const stores: Store[] = [
  { name: 'PGlite in memory', prepare: async () => ({ cleanup: async () => undefined }) },
  {
    name: 'PostgreSQL',
    prepare: async () => {
      const database = await createTestDatabase(postgresUrl);
      return { databaseUrl: database.url, cleanup: database.drop };
    },
  },
];

const providerConfig = (databaseUrl?: string) =>
  loadConfig({ ...TEST_SECRETS, PAYMENT_PROVIDER_PORT: '0', DATA_DIR: ':memory:', LOG_LEVEL: 'silent', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });

/** Every field any of the provider's answers may carry; each test reads the ones its answer has. */
interface ProviderBody {
  id: string;
  orderId: string;
  status: string;
  createdAt: string;
  capturedAt: string | null;
  captureCount: number;
  voidCount: number;
  refundCount: number;
  authorizations: { id: string; status: string; captureCount: number; voidCount: number; refundCount: number }[];
  failNextRequests: number;
  error: { code: string; message: string; details?: unknown };
}

interface Answer {
  status: number;
  body: ProviderBody;
  /** The raw body, to check that a replay is byte for byte the first answer. */
  text: string;
}

function client(baseUrl: () => string) {
  const request = async (method: string, path: string, options: { body?: unknown; key?: string } = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...serviceAuth };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.key !== undefined) headers['idempotency-key'] = options.key;
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as ProviderBody, text };
  };
  return {
    request,
    authorize: (body: unknown, key: string | undefined = randomUUID()) => request('POST', '/v1/authorizations', { body, key }),
    operate: (id: string, operation: 'capture' | 'void' | 'refund', key?: string) =>
      request('POST', `/v1/authorizations/${id}/${operation}`, key === undefined ? {} : { key }),
    get: (id: string) => request('GET', `/v1/authorizations/${id}`),
    byOrder: async (orderId: string) => (await request('GET', `/v1/authorizations?orderId=${encodeURIComponent(orderId)}`)).body.authorizations,
  };
}

const card = (token: string, overrides: Record<string, unknown> = {}) => ({
  orderId: `order-${randomUUID()}`,
  amount: 4_999,
  currency: 'EUR',
  token,
  ...overrides,
});

describe.each(stores)('payment provider stand-in on $name', (store) => {
  let provider: PaymentProvider;
  let cleanup: () => Promise<void>;
  const api = client(() => provider.url);

  beforeAll(async () => {
    const prepared = await store.prepare();
    cleanup = prepared.cleanup;
    provider = await startPaymentProvider(providerConfig(prepared.databaseUrl), log);
  });
  afterAll(async () => {
    await provider?.stop();
    await cleanup?.();
  });

  it('answers its health check', async () => {
    expect((await api.request('GET', '/health')).status).toBe(200);
  });

  describe('authorizing with test tokens', () => {
    it('approves tok_visa with 201 and an AUTHORIZED authorization', async () => {
      const request = card('tok_visa');
      const answer = await api.authorize(request);
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({
        orderId: request.orderId,
        amount: 4_999,
        currency: 'EUR',
        status: 'AUTHORIZED',
      });
      expect(answer.body.id).toMatch(/^auth_/);
      expect(new Date(answer.body.createdAt).toISOString()).toBe(answer.body.createdAt);
      expect((await api.get(answer.body.id)).body).toEqual(answer.body);
    });

    it('approves any other tok_ token', async () => {
      expect((await api.authorize(card('tok_mastercard'))).status).toBe(201);
    });

    it('declines tok_declined with 402 card_declined, and the same key keeps getting the same decline', async () => {
      const request = card('tok_declined');
      const key = randomUUID();
      const first = await api.authorize(request, key);
      expect(first.status).toBe(402);
      expect(first.body.error).toMatchObject({ code: 'card_declined', details: { declineCode: 'generic_decline' } });
      expect(first.body.error.message).toEqual(expect.any(String));

      const again = await api.authorize(request, key);
      expect(again.status).toBe(402);
      expect(again.text).toBe(first.text);
      expect(await api.byOrder(request.orderId)).toEqual([]);
    });

    it('answers tok_flaky with 503, 503, then 201 for one idempotency key, and starts over for a new key', async () => {
      const request = card('tok_flaky');
      const key = randomUUID();
      const statuses = [];
      for (let attempt = 0; attempt < 4; attempt += 1) statuses.push((await api.authorize(request, key)).status);
      expect(statuses).toEqual([503, 503, 201, 201]);
      expect(await api.byOrder(request.orderId)).toHaveLength(1);

      expect((await api.authorize(request, randomUUID())).status).toBe(503);
    });
  });

  describe('idempotency of authorizations', () => {
    it('replays the stored answer for the same key and body, byte for byte, without a second authorization', async () => {
      const request = card('tok_visa');
      const key = randomUUID();
      const first = await api.authorize(request, key);
      const replay = await api.authorize(request, key);
      expect(replay.status).toBe(201);
      expect(replay.text).toBe(first.text);
      expect(await api.byOrder(request.orderId)).toHaveLength(1);
    });

    it('refuses the same key with another body with 409 idempotency_key_reused', async () => {
      const request = card('tok_visa');
      const key = randomUUID();
      expect((await api.authorize(request, key)).status).toBe(201);
      const reused = await api.authorize({ ...request, amount: request.amount + 1 }, key);
      expect(reused.status).toBe(409);
      expect(reused.body.error.code).toBe('idempotency_key_reused');
      expect(await api.byOrder(request.orderId)).toHaveLength(1);
    });

    it('creates exactly one authorization when identical requests arrive at the same time', async () => {
      const request = card('tok_visa');
      const key = randomUUID();
      const answers = await Promise.all(Array.from({ length: 12 }, () => api.authorize(request, key)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(201));
      expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
      expect(await api.byOrder(request.orderId)).toHaveLength(1);
    });

    it('keeps separate keys separate: two keys for one order give two authorizations', async () => {
      const request = card('tok_visa');
      await api.authorize(request, randomUUID());
      await api.authorize(request, randomUUID());
      expect(await api.byOrder(request.orderId)).toHaveLength(2);
    });
  });

  describe('validation', () => {
    it('requires the Idempotency-Key header', async () => {
      const answer = await api.request('POST', '/v1/authorizations', { body: card('tok_visa') });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'idempotency_key_required', details: [{ path: 'Idempotency-Key' }] });
    });

    it('rejects an invalid body with validation_failed naming each field', async () => {
      const answer = await api.authorize({ orderId: '', amount: 10.5, currency: 'EURO', token: 'visa', coupon: 'FREE' });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('validation_failed');
      expect(answer.body.error.message).toEqual(expect.any(String));
      const paths = (answer.body.error.details as { path: string; message: string }[]).map((detail) => detail.path).sort();
      expect(paths).toEqual(['amount', 'coupon', 'currency', 'orderId', 'token']);
    });

    it.each([
      ['a zero amount', { amount: 0 }, 'amount'],
      ['a negative amount', { amount: -5 }, 'amount'],
      ['an amount given as a string', { amount: '4999' }, 'amount'],
      ['a token that is not a tok_ token', { token: '4242424242424242' }, 'token'],
      ['a missing currency', { currency: undefined }, 'currency'],
    ])('rejects %s', async (_scenario, override, field) => {
      const answer = await api.authorize(card('tok_visa', override));
      expect(answer.status).toBe(400);
      expect(answer.body.error.details).toEqual([expect.objectContaining({ path: field })]);
    });

    it('answers malformed JSON with 400 invalid_json', async () => {
      const response = await fetch(`${provider.url}/v1/authorizations`, {
        method: 'POST',
        headers: { ...serviceAuth, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: '{"orderId":',
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    });

    it('answers unknown ids and routes with 404 not_found', async () => {
      expect((await api.get('auth_missing')).body.error.code).toBe('not_found');
      expect((await api.operate('auth_missing', 'capture', randomUUID())).status).toBe(404);
      expect((await api.request('GET', '/v1/nothing-here')).status).toBe(404);
    });
  });

  describe('capture, void and refund', () => {
    const authorized = async () => (await api.authorize(card('tok_visa'))).body;

    it('captures once: a repeated capture answers 200 with the same body and applies nothing', async () => {
      const { id } = await authorized();
      const first = await api.operate(id, 'capture', randomUUID());
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ id, status: 'CAPTURED', captureCount: 1 });
      expect(first.body.capturedAt).toEqual(expect.any(String));

      const second = await api.operate(id, 'capture', randomUUID());
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect((await api.get(id)).body.captureCount).toBe(1);
    });

    it('replays a capture for its idempotency key even after the authorization moved on', async () => {
      const { id } = await authorized();
      const key = randomUUID();
      const capture = await api.operate(id, 'capture', key);
      expect((await api.operate(id, 'refund', randomUUID())).status).toBe(200);
      const replay = await api.operate(id, 'capture', key);
      expect(replay.status).toBe(200);
      expect(replay.text).toBe(capture.text);
      // Without the key, the state machine answers for the current state.
      expect((await api.operate(id, 'capture')).body.error.code).toBe('invalid_state');
    });

    it('refuses to capture a voided authorization with 409 invalid_state', async () => {
      const { id } = await authorized();
      const voided = await api.operate(id, 'void', randomUUID());
      expect(voided.status).toBe(200);
      expect(voided.body).toMatchObject({ id, status: 'VOIDED', voidCount: 1 });

      const capture = await api.operate(id, 'capture', randomUUID());
      expect(capture.status).toBe(409);
      expect(capture.body.error).toMatchObject({ code: 'invalid_state', details: { status: 'VOIDED' } });
      expect((await api.get(id)).body).toMatchObject({ status: 'VOIDED', captureCount: 0, voidCount: 1 });
    });

    it('voids idempotently and refuses to void a captured authorization', async () => {
      const { id } = await authorized();
      const first = await api.operate(id, 'void', randomUUID());
      expect((await api.operate(id, 'void', randomUUID())).body).toEqual(first.body);

      const captured = (await authorized()).id;
      await api.operate(captured, 'capture', randomUUID());
      const voidCaptured = await api.operate(captured, 'void', randomUUID());
      expect(voidCaptured.status).toBe(409);
      expect(voidCaptured.body.error.code).toBe('invalid_state');
    });

    it('refunds only captured authorizations, once', async () => {
      const { id } = await authorized();
      expect((await api.operate(id, 'refund', randomUUID())).body.error.code).toBe('invalid_state');

      await api.operate(id, 'capture', randomUUID());
      const refund = await api.operate(id, 'refund', randomUUID());
      expect(refund.status).toBe(200);
      expect(refund.body).toMatchObject({ status: 'REFUNDED', captureCount: 1, refundCount: 1 });
      expect((await api.operate(id, 'refund', randomUUID())).body).toEqual(refund.body);
      expect((await api.get(id)).body.refundCount).toBe(1);
    });

    it('captures exactly once when many captures race', async () => {
      const { id } = await authorized();
      const answers = await Promise.all(Array.from({ length: 10 }, () => api.operate(id, 'capture', randomUUID())));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      expect((await api.get(id)).body).toMatchObject({ status: 'CAPTURED', captureCount: 1 });
    });

    it('lets exactly one of a racing capture and void win', async () => {
      const { id } = await authorized();
      const [capture, voided] = await Promise.all([api.operate(id, 'capture', randomUUID()), api.operate(id, 'void', randomUUID())]);
      expect([capture.status, voided.status].sort()).toEqual([200, 409]);
      const after = (await api.get(id)).body;
      expect(after.captureCount + after.voidCount).toBe(1);
    });

    it('lists what each order got, with the applied operation counts', async () => {
      const { id, orderId } = await authorized();
      await api.operate(id, 'capture', randomUUID());
      const listed = await api.byOrder(orderId);
      expect(listed).toEqual([expect.objectContaining({ id, status: 'CAPTURED', captureCount: 1, voidCount: 0, refundCount: 0 })]);
      expect((await api.request('GET', '/v1/authorizations')).body.error.details).toEqual([expect.objectContaining({ path: 'orderId' })]);
    });
  });
});

describe('payment provider stand-in fault injection and shutdown', () => {
  let provider: PaymentProvider;
  const api = client(() => provider.url);

  beforeAll(async () => {
    provider = await startPaymentProvider(providerConfig(), log);
  });
  afterAll(async () => {
    await provider?.stop();
  });

  it('fails the next N requests with the configured status, without processing them', async () => {
    const set = await api.request('POST', '/__faults', { body: { failNextRequests: 2 } });
    expect(set.body).toMatchObject({ failNextRequests: 2, status: 503 });

    const request = card('tok_flaky');
    const key = randomUUID();
    const statuses = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const answer = await api.authorize(request, key);
      statuses.push(`${answer.status}:${answer.body.error?.code ?? answer.body.status}`);
    }
    // The two injected failures never reached the processor, so tok_flaky still fails twice on its own afterwards.
    expect(statuses).toEqual(['503:injected_fault', '503:injected_fault', '503:processor_unavailable', '503:processor_unavailable', '201:AUTHORIZED']);
    expect((await api.request('GET', '/__faults')).body.failNextRequests).toBe(0);
  });

  it('delays the next requests when asked, then answers normally', async () => {
    await api.request('POST', '/__faults', { body: { delayMs: 300, delayNextRequests: 1 } });
    const started = Date.now();
    expect((await api.authorize(card('tok_visa'))).status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    const quick = Date.now();
    await api.authorize(card('tok_visa'));
    expect(Date.now() - quick).toBeLessThan(300);
  });

  it('rejects unknown fault settings and clears them on DELETE', async () => {
    expect((await api.request('POST', '/__faults', { body: { failNextRequests: 1, status: 200 } })).status).toBe(400);
    await api.request('POST', '/__faults', { body: { failNextRequests: 5 } });
    expect((await api.request('DELETE', '/__faults')).body).toMatchObject({ failNextRequests: 0, delayMs: 0 });
    expect((await api.authorize(card('tok_visa'))).status).toBe(201);
  });

  it('finishes an in-flight request when stopped, then refuses connections', async () => {
    await api.request('POST', '/__faults', { body: { delayMs: 400, delayNextRequests: 1 } });
    const inFlight = api.authorize(card('tok_visa'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const url = provider.url;

    await provider.stop();
    expect((await inFlight).status).toBe(201);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    provider = undefined as unknown as PaymentProvider;
  });
});
