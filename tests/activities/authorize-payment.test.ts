// authorizePayment opens the sealed payment token just before the processor call; nothing upstream holds it in clear.
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { PaymentProviderClient } from '../../activities/payment-provider-client.js';
import { createPaymentTokenSeal } from '../../platform/temporal/payment-token-seal.js';
import { TEST_PAYLOAD_KEYS } from '../support/secrets.js';

function activitiesSeeing(tokens: string[]) {
  const payments = {
    authorize: async (input: { token: string }) => {
      tokens.push(input.token);
      return { authorizationId: 'auth_1' };
    },
  } as unknown as PaymentProviderClient;
  // Only the processor matters here; the catalog and the publisher are never reached by authorizePayment.
  return createActivities({ catalog: undefined as never, publisher: undefined as never, payments, paymentTokens: createPaymentTokenSeal(TEST_PAYLOAD_KEYS) });
}

describe('authorizePayment', () => {
  it('hands the processor the token the API sealed, opened', async () => {
    const seen: string[] = [];
    const sealed = createPaymentTokenSeal(TEST_PAYLOAD_KEYS).seal('tok_visa');
    await expect(activitiesSeeing(seen).authorizePayment({ orderId: 'o-1', amount: 100, currency: 'USD', token: sealed })).resolves.toEqual({ authorizationId: 'auth_1' });
    expect(seen).toEqual(['tok_visa']);
  });

  it('still pays with the plain token of an order placed before sealing', async () => {
    const seen: string[] = [];
    await activitiesSeeing(seen).authorizePayment({ orderId: 'o-2', amount: 100, currency: 'USD', token: 'tok_visa' });
    expect(seen).toEqual(['tok_visa']);
  });

  it('fails, without calling the processor, on a token sealed with a key it does not have', async () => {
    const seen: string[] = [];
    const foreign = createPaymentTokenSeal([{ id: 'gone', key: Buffer.alloc(32, 7) }]).seal('tok_visa');
    await expect(activitiesSeeing(seen).authorizePayment({ orderId: 'o-3', amount: 100, currency: 'USD', token: foreign })).rejects.toThrow(/"gone"/);
    expect(seen).toEqual([]);
  });
});
