// Seals the payment token for its trip through Temporal: the API seals it, the authorizePayment activity opens it just before the processor call.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { PayloadKey } from './payload-codec.js';

/**
 * The payload codec already encrypts the workflow's input, but an operator who decodes a history (the UI's codec
 * endpoint) would then read the token. Sealed with a key of its own, the token stays opaque to everyone but the one
 * activity that pays with it.
 */
const SEALED_PREFIX = 'sealed:v1:';
/** HKDF's `info`: keys derived for tokens differ from the payload keys they come from (and from any other use of them). */
const HKDF_INFO = 'ensemble/payment-token/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class PaymentTokenSealError extends Error {
  override readonly name = 'PaymentTokenSealError';
}

export interface PaymentTokenSeal {
  /** `sealed:v1:<key id>:<base64url(iv, ciphertext, tag)>`; a new IV each time. */
  seal: (token: string) => string;
  /** The token itself; a plain token (an order placed before sealing existed) is returned as it is. */
  open: (value: string) => string;
}

export const isSealedPaymentToken = (value: string) => value.startsWith(SEALED_PREFIX);

/** Rotation follows PAYLOAD_KEYS: the first key seals, every key opens what it sealed. */
export function createPaymentTokenSeal(keys: readonly PayloadKey[]): PaymentTokenSeal {
  if (keys.length === 0) throw new Error('sealing payment tokens needs at least one key');
  const derived = new Map(keys.map(({ id, key }) => [id, Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), HKDF_INFO, 32))]));
  const currentId = keys[0]!.id;

  return {
    seal(token) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', derived.get(currentId)!, iv);
      cipher.setAAD(Buffer.from(currentId));
      const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
      return `${SEALED_PREFIX}${currentId}:${Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url')}`;
    },

    open(value) {
      if (!isSealedPaymentToken(value)) return value;
      const rest = value.slice(SEALED_PREFIX.length);
      const separator = rest.indexOf(':');
      const keyId = rest.slice(0, separator);
      const key = separator > 0 ? derived.get(keyId) : undefined;
      if (!key) throw new PaymentTokenSealError(`payment token sealed with key "${keyId}", which is not in PAYLOAD_KEYS`);
      const sealed = Buffer.from(rest.slice(separator + 1), 'base64url');
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new PaymentTokenSealError(`sealed payment token (key "${keyId}") is truncated`);
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new PaymentTokenSealError(`sealed payment token (key "${keyId}") failed authentication`);
      }
    },
  };
}
