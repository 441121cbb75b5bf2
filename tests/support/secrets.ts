// The secrets every test stack runs with: fixed, test-only values (never a default of the product), and tokens minted with them.
import { SignJWT } from 'jose';
import { loadConfig } from '../../platform/config.js';
import { payloadKeysOf, workerDataConverter, clientDataConverter } from '../../platform/temporal/data-converter.js';

export const TEST_SECRETS = {
  JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef0123456789',
  SERVICE_TOKEN: 'test-only-service-token-0123456789abcdef012345',
  // Two keys: k2 encrypts, k1 still decrypts (as after a rotation).
  PAYLOAD_KEYS: `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`,
} as const;

/** TEST_SECRETS.PAYLOAD_KEYS parsed, as every test component gets them: the committed histories are encrypted with these. */
export const TEST_PAYLOAD_KEYS = payloadKeysOf(loadConfig({ PAYLOAD_KEYS: TEST_SECRETS.PAYLOAD_KEYS }));
/** The data converters of test workers, replayers and clients: the ones the components use, with the test keys. */
export const testWorkerDataConverter = () => workerDataConverter(TEST_PAYLOAD_KEYS);
export const testClientDataConverter = () => clientDataConverter(TEST_PAYLOAD_KEYS);

export type TestRole = 'customer' | 'admin';

/** A bearer token the test API accepts (issuer and audience are the configuration's defaults). */
export async function mintTestToken(claims: { sub: string; role: TestRole; expiresIn?: string }): Promise<string> {
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuer('ensemble')
    .setAudience('ensemble-api')
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(TEST_SECRETS.JWT_SECRET));
}

/** Authorization header for an operator. */
export async function adminAuth(): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await mintTestToken({ sub: 'operator', role: 'admin' })}` };
}

/** Authorization header for one customer. */
export async function customerAuth(customerId: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await mintTestToken({ sub: customerId, role: 'customer' })}` };
}

/** The header the components' own HTTP surfaces accept from the API, the worker and operators. */
export const serviceAuth = { authorization: `Bearer ${TEST_SECRETS.SERVICE_TOKEN}` } as const;
