// The Temporal payload codec: AES-256-GCM over every payload, so order data rests in Temporal encrypted; keys rotate by id.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
// @temporalio/proto is CommonJS whose named exports Node's ESM loader cannot see; take them from the default export.
import proto from '@temporalio/proto';

const PayloadMessage = proto.temporal.api.common.v1.Payload;

/** The metadata that marks a payload as ours: its encoding, and which key sealed it (so old keys keep decoding after a rotation). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const ENCRYPTION_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One key of PAYLOAD_KEYS: an id stored beside each payload, and 32 bytes of AES-256 key. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

/** A payload names a key this process was not given: PAYLOAD_KEYS lacks a key that is still in use. */
export class UnknownPayloadKeyError extends Error {
  override readonly name = 'UnknownPayloadKeyError';
  constructor(readonly keyId: string) {
    super(`payload encrypted with key "${keyId}", which is not in PAYLOAD_KEYS (keep old keys there until no history needs them)`);
  }
}

/** The ciphertext did not authenticate: the payload was altered, or a different key shares its id. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
  constructor(readonly keyId: string) {
    super(`payload encrypted with key "${keyId}" failed authentication: it was altered, or PAYLOAD_KEYS holds another key under that id`);
  }
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

export function isEncryptedPayload(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

/**
 * Encrypts with the first key and decrypts with whichever key the payload names. The whole payload (its metadata too,
 * which says e.g. json/plain) is serialised and sealed; the key id is the authenticated additional data, so a payload
 * cannot be relabelled to another key. Payloads not marked encrypted pass through decode untouched: histories written
 * before the codec still read and replay.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current: PayloadKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: readonly PayloadKey[]) {
    if (keys.length === 0) throw new Error('the payload codec needs at least one key');
    this.current = keys[0]!;
    this.byId = new Map(keys.map(({ id, key }) => [id, key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncryptedPayload(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id));
    const ciphertext = Buffer.concat([cipher.update(PayloadMessage.encode(payload).finish()), cipher.final()]);
    return {
      metadata: { encoding: utf8(ENCRYPTED_ENCODING), [ENCRYPTION_KEY_ID]: utf8(id) },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const id = text(payload.metadata?.[ENCRYPTION_KEY_ID]) ?? '';
    const key = this.byId.get(id);
    if (!key) throw new UnknownPayloadKeyError(id);
    const sealed = Buffer.from(payload.data ?? new Uint8Array());
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(id);
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(id);
    }
    const decoded = PayloadMessage.decode(plain);
    return { metadata: decoded.metadata, data: decoded.data };
  }
}
