// Specification of the payment provider client client: how the provider's answers and failures become typed results and errors.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPaymentProviderClient,
  PaymentDeclinedError,
  PaymentProviderUnavailableError,
  PaymentRejectedError,
  type PaymentProviderClient,
} from '../../activities/payment-provider-client.js';
import { startPaymentProvider, type PaymentProvider } from '../../payment-provider/server.js';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { serviceAuth, TEST_SECRETS } from '../support/secrets.js';

let provider: PaymentProvider;
let client: PaymentProviderClient;

beforeAll(async () => {
  provider = await startPaymentProvider(
    loadConfig({ ...TEST_SECRETS, PAYMENT_PROVIDER_PORT: '0', DATA_DIR: ':memory:', LOG_LEVEL: 'silent' }),
    createLogger('payment-provider', 'silent'),
  );
  client = createPaymentProviderClient({ baseUrl: provider.url, serviceToken: TEST_SECRETS.SERVICE_TOKEN, timeoutMs: 2_000 });
});
afterAll(async () => {
  await provider?.stop();
});

const payment = (token: string) => ({
  orderId: `order-${randomUUID()}`,
  amount: 12_50,
  currency: 'EUR',
  token,
  idempotencyKey: randomUUID(),
});

async function setFaults(settings: Record<string, number>) {
  const response = await fetch(`${provider.url}/__faults`, {
    method: 'POST',
    headers: { ...serviceAuth, 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });
  expect(response.status).toBe(200);
}

/** A port nothing listens on: bound once to learn a free number, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('payment provider client client', () => {
  it('returns the authorization id when the card is approved, and the same id when the key is retried', async () => {
    const input = payment('tok_visa');
    const { authorizationId } = await client.authorize(input);
    expect(authorizationId).toMatch(/^auth_/);
    expect(await client.authorize(input)).toEqual({ authorizationId });

    const [found] = await client.findByOrder(input.orderId);
    expect(found).toMatchObject({ id: authorizationId, orderId: input.orderId, amount: 12_50, currency: 'EUR', status: 'AUTHORIZED' });
  });

  it('maps a 402 decline to PaymentDeclinedError carrying the processor reason', async () => {
    const error = await client.authorize(payment('tok_declined')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PaymentDeclinedError);
    expect(error).toMatchObject({ name: 'PaymentDeclinedError', declineCode: 'generic_decline' });
    expect((error as PaymentDeclinedError).reason).toMatch(/declined/i);
  });

  it('maps 503 to PaymentProviderUnavailableError, and succeeds when retried with the same key', async () => {
    const input = payment('tok_flaky');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await client.authorize(input).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PaymentProviderUnavailableError);
      expect(error).toMatchObject({ name: 'PaymentProviderUnavailableError', status: 503 });
    }
    const { authorizationId } = await client.authorize(input);
    expect(await client.findByOrder(input.orderId)).toEqual([expect.objectContaining({ id: authorizationId })]);
  });

  it('maps connection refused to PaymentProviderUnavailableError', async () => {
    const unreachable = createPaymentProviderClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, serviceToken: TEST_SECRETS.SERVICE_TOKEN });
    const error = await unreachable.authorize(payment('tok_visa')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PaymentProviderUnavailableError);
    expect((error as PaymentProviderUnavailableError).status).toBeUndefined();
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('maps a provider slower than the timeout to PaymentProviderUnavailableError', async () => {
    await setFaults({ delayMs: 1_000, delayNextRequests: 1 });
    const impatient = createPaymentProviderClient({ baseUrl: provider.url, serviceToken: TEST_SECRETS.SERVICE_TOKEN, timeoutMs: 200 });
    const error = await impatient.authorize(payment('tok_visa')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PaymentProviderUnavailableError);
    expect((error as Error).message).toMatch(/within 200ms/);
  });

  it('maps injected provider outages to PaymentProviderUnavailableError', async () => {
    await setFaults({ failNextRequests: 1 });
    const error = await client.findByOrder('any-order').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PaymentProviderUnavailableError);
    expect(error).toMatchObject({ status: 503 });
  });

  it('captures and voids idempotently, and counts each operation once', async () => {
    const captured = payment('tok_visa');
    const { authorizationId } = await client.authorize(captured);
    const captureKey = `${captured.orderId}:capture`;
    await client.capture({ authorizationId, idempotencyKey: captureKey });
    await client.capture({ authorizationId, idempotencyKey: captureKey });
    expect(await client.findByOrder(captured.orderId)).toEqual([
      expect.objectContaining({ status: 'CAPTURED', captureCount: 1, voidCount: 0 }),
    ]);

    const voided = payment('tok_visa');
    const second = await client.authorize(voided);
    await client.voidAuthorization({ authorizationId: second.authorizationId, idempotencyKey: `${voided.orderId}:void` });
    await client.voidAuthorization({ authorizationId: second.authorizationId, idempotencyKey: `${voided.orderId}:void` });
    expect(await client.findByOrder(voided.orderId)).toEqual([expect.objectContaining({ status: 'VOIDED', voidCount: 1 })]);
  });

  it('maps other 4xx answers to PaymentRejectedError with the provider code', async () => {
    const input = payment('tok_visa');
    const { authorizationId } = await client.authorize(input);
    await client.voidAuthorization({ authorizationId, idempotencyKey: randomUUID() });

    const invalidState = await client.capture({ authorizationId, idempotencyKey: randomUUID() }).catch((caught: unknown) => caught);
    expect(invalidState).toBeInstanceOf(PaymentRejectedError);
    expect(invalidState).toMatchObject({ name: 'PaymentRejectedError', status: 409, code: 'invalid_state' });

    const unknown = await client.capture({ authorizationId: 'auth_unknown', idempotencyKey: randomUUID() }).catch((caught: unknown) => caught);
    expect(unknown).toMatchObject({ name: 'PaymentRejectedError', status: 404, code: 'not_found' });

    const reused = await client.authorize({ ...input, amount: input.amount + 1 }).catch((caught: unknown) => caught);
    expect(reused).toMatchObject({ name: 'PaymentRejectedError', status: 409, code: 'idempotency_key_reused' });

    const invalid = await client.authorize({ ...payment('tok_visa'), amount: 0 }).catch((caught: unknown) => caught);
    expect(invalid).toMatchObject({ name: 'PaymentRejectedError', status: 400, code: 'validation_failed' });
  });
});
