// The payload codec and the payment token seal: what reaches Temporal is encrypted, rotation keeps old data readable, tampering is caught.
import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadConfig } from '../../platform/config.js';
import { payloadKeysOf } from '../../platform/temporal/data-converter.js';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  PayloadDecryptionError,
  UnknownPayloadKeyError,
  type PayloadKey,
} from '../../platform/temporal/payload-codec.js';
import { createPaymentTokenSeal, PaymentTokenSealError } from '../../platform/temporal/payment-token-seal.js';
import { TEST_PAYLOAD_KEYS } from '../support/secrets.js';

const [k2, k1] = TEST_PAYLOAD_KEYS as [PayloadKey, PayloadKey];
const order = { orderId: 'o-1', email: 'grace@example.com', shippingAddress: { line1: '1 Infinite Loop' } };
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());
const json = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);

describe('AES-GCM payload codec', () => {
  it('round-trips a payload, storing nothing of it in clear and naming the current key', async () => {
    const codec = new AesGcmPayloadCodec(TEST_PAYLOAD_KEYS);
    const [encoded] = await codec.encode([json(order)]);
    expect(text(encoded!.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded!.metadata?.['encryption-key-id'])).toBe('k2');
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain('grace@example.com');
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(order);
  });

  it('uses a fresh IV each time: the same payload never encrypts to the same bytes', async () => {
    const codec = new AesGcmPayloadCodec(TEST_PAYLOAD_KEYS);
    const [first, second] = await codec.encode([json(order), json(order)]);
    expect(Buffer.from(first!.data!).equals(Buffer.from(second!.data!))).toBe(false);
  });

  it('after a rotation, decodes what the old key encrypted (k2 current, k1 kept)', async () => {
    const [oldPayload] = await new AesGcmPayloadCodec([k1]).encode([json(order)]);
    const [decoded] = await new AesGcmPayloadCodec([k2, k1]).decode([oldPayload!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(order);
  });

  it('refuses a payload whose key is not configured, naming the key id', async () => {
    const [payload] = await new AesGcmPayloadCodec([k1]).encode([json(order)]);
    const decoding = new AesGcmPayloadCodec([k2]).decode([payload!]);
    await expect(decoding).rejects.toBeInstanceOf(UnknownPayloadKeyError);
    await expect(decoding).rejects.toThrow(/"k1".*PAYLOAD_KEYS/);
  });

  it('refuses a tampered ciphertext, and a payload relabelled with another key id', async () => {
    const codec = new AesGcmPayloadCodec(TEST_PAYLOAD_KEYS);
    const [payload] = await codec.encode([json(order)]);
    const flipped = Buffer.from(payload!.data!);
    flipped[20]! ^= 0x01;
    await expect(codec.decode([{ ...payload!, data: flipped }])).rejects.toBeInstanceOf(PayloadDecryptionError);
    const relabelled = { ...payload!, metadata: { ...payload!.metadata, 'encryption-key-id': new TextEncoder().encode('k1') } };
    await expect(codec.decode([relabelled])).rejects.toBeInstanceOf(PayloadDecryptionError);
  });

  it('passes payloads it did not encrypt through decode untouched (histories from before the codec)', async () => {
    const plain = json(order);
    expect(await new AesGcmPayloadCodec(TEST_PAYLOAD_KEYS).decode([plain])).toEqual([plain]);
  });

  it('is refused at start-up when PAYLOAD_KEYS is missing, naming the variable', () => {
    expect(() => payloadKeysOf(loadConfig({}))).toThrow(/PAYLOAD_KEYS: required/);
  });
});

describe('payment token seal', () => {
  const seal = createPaymentTokenSeal(TEST_PAYLOAD_KEYS);

  it('seals a token so that neither it nor its prefix shows, and opens it again', () => {
    const sealed = seal.seal('tok_visa');
    expect(sealed).toMatch(/^sealed:v1:k2:[\w-]+$/);
    expect(sealed).not.toContain('tok_');
    expect(seal.open(sealed)).toBe('tok_visa');
  });

  it('is not sealed with the payload key itself: the token key is derived (HKDF) for this use only', () => {
    const body = Buffer.from(seal.seal('tok_visa').split(':')[3]!, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', k2.key, body.subarray(0, 12));
    decipher.setAAD(Buffer.from('k2'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    decipher.update(body.subarray(12, body.length - 16));
    expect(() => decipher.final()).toThrow();
  });

  it('opens a token sealed with the old key after a rotation, and refuses an unknown key by name', () => {
    const sealedWithK1 = createPaymentTokenSeal([k1]).seal('tok_flaky');
    expect(seal.open(sealedWithK1)).toBe('tok_flaky');
    expect(() => createPaymentTokenSeal([k2]).open(sealedWithK1)).toThrow(/"k1"/);
  });

  it('refuses a tampered seal', () => {
    const sealed = seal.seal('tok_visa');
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(() => seal.open(tampered)).toThrow(PaymentTokenSealError);
  });

  it('hands back a plain token of an order placed before sealing as it is', () => {
    expect(seal.open('tok_visa')).toBe('tok_visa');
  });
});
