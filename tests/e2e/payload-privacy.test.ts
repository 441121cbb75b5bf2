// End to end: what Temporal stores of an order is encrypted (no email, address, payment token or decline reason in clear), and the keys read it back.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../../platform/temporal/payload-codec.js';
import { orderWorkflowId } from '../../workflows/contract.js';
import { call, createProduct, orderRequest, placeOrder, waitForStatus } from '../support/http.js';
import { TEST_PAYLOAD_KEYS } from '../support/secrets.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.teardown();
});

/** The history as an operator gets it from the Temporal CLI without a codec: what the server stores. */
async function storedHistory(orderId: string): Promise<string> {
  const { stdout } = await promisify(execFile)(inject('infrastructure').temporalCliPath, [
    'workflow', 'show', '--workflow-id', orderWorkflowId(orderId),
    '--address', stack.config.TEMPORAL_ADDRESS, '--namespace', stack.config.TEMPORAL_NAMESPACE, '--output', 'json',
  ], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** A payload of the CLI's JSON (bytes in base64) as the SDK holds it. */
const payloadFromJson = (json: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(json.metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(json.data, 'base64'),
});

describe('personal data in Temporal', () => {
  it('stores a confirmed order with no email, address or payment token in clear, and the keys give its input back with the token still sealed', async () => {
    const marker = randomUUID().slice(0, 8);
    const email = `ines.${marker}@privacy.example`;
    const shippingAddress = { name: `Ines Marker ${marker}`, line1: `${marker} Rua das Flores`, city: 'Porto', postalCode: '4050-262', country: 'PT' };
    const sku = await createProduct(stack, 5);
    const placed = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }], { email, shippingAddress, paymentToken: 'tok_visa' }));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const { orderId } = placed.body;
    await waitForStatus(stack, orderId, 'CONFIRMED');

    const stored = await storedHistory(orderId);
    for (const secret of [email, shippingAddress.line1, shippingAddress.name, 'tok_', marker]) expect(stored).not.toContain(secret);
    // Nor hidden one base64 layer down (payload data is base64 in the JSON).
    const base64Layer = [...stored.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)].map((match) => Buffer.from(match[1]!, 'base64').toString('latin1')).join('\n');
    for (const secret of [email, shippingAddress.line1, 'tok_', marker]) expect(base64Layer).not.toContain(secret);

    // With the keys (as the codec endpoint decodes for an operator), the workflow's input comes back; its token stays sealed.
    const events = (JSON.parse(stored) as { events: Record<string, any>[] }).events;
    const started = events.find((event) => event.workflowExecutionStartedEventAttributes)!.workflowExecutionStartedEventAttributes;
    const [decoded] = await new AesGcmPayloadCodec(TEST_PAYLOAD_KEYS).decode([payloadFromJson(started.input.payloads[0])]);
    const input = defaultPayloadConverter.fromPayload<Record<string, unknown>>(decoded!);
    expect(input).toMatchObject({ orderId, email, shippingAddress, items: [{ sku, quantity: 1 }] });
    expect(input.paymentToken).toMatch(/^sealed:v1:k2:[\w-]+$/);
  });

  it("stores a declined order's failure encrypted: the decline reason is not in clear, yet the timeline still reads it", async () => {
    const sku = await createProduct(stack, 5);
    const placed = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }], { paymentToken: 'tok_declined' }));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const { orderId } = placed.body;
    const order = await waitForStatus(stack, orderId, 'PAYMENT_DECLINED');
    expect(order.reason).toEqual(expect.any(String));

    const stored = await storedHistory(orderId);
    expect(stored).not.toContain(order.reason);
    expect(stored).toContain('Encoded failure');
    expect(stored).not.toContain('tok_');

    const timeline = await call(`${stack.api}/orders/${orderId}/timeline`);
    const failed = timeline.body.entries.find((entry: { kind: string; name: string }) => entry.kind === 'step-failed' && entry.name === 'authorizePayment');
    expect(failed?.detail?.failure).toBe(`PaymentDeclined: ${order.reason}`);
  });
});
