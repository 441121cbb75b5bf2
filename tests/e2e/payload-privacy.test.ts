// End to end: what Temporal stores of an order is encrypted (no email, address, payment token or decline reason in clear), and the keys read it back.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import express from 'express';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createCodecRouter } from '../../api/codec/routes.js';
import { errorMiddleware } from '../../platform/http/error-middleware.js';
import { HttpError } from '../../platform/http/errors.js';
import { createLogger } from '../../platform/logger.js';
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

/** The history as an operator gets it from the Temporal CLI: without a codec, what the server stores. */
async function storedHistory(orderId: string, codecArguments: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(inject('infrastructure').temporalCliPath, [
    'workflow', 'show', '--workflow-id', orderWorkflowId(orderId),
    '--address', stack.config.TEMPORAL_ADDRESS, '--namespace', stack.config.TEMPORAL_NAMESPACE, '--output', 'json', ...codecArguments,
  ], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/**
 * The codec routes with the test keys behind a stand-in admin guard (the API's own guard refuses everyone until admin
 * authentication is wired), so the real CLI can decode through them as an operator would.
 */
async function serveCodec(adminToken: string): Promise<{ url: string; close: () => void }> {
  const app = express();
  app.use(express.json({ limit: '10mb' }));
  app.use(
    createCodecRouter({
      codec: new AesGcmPayloadCodec(TEST_PAYLOAD_KEYS),
      allowedOrigin: stack.config.TEMPORAL_UI_URL,
      authorize: (req, _res, next) => next(req.get('authorization') === `Bearer ${adminToken}` ? undefined : new HttpError(401, 'UNAUTHORIZED', 'admin only')),
    }),
  );
  app.use(errorMiddleware(createLogger('codec', 'silent')));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/codec`, close: () => server.close() };
}

/** The JSON's base64 strings decoded: where the CLI's JSON puts each payload's data. */
const base64Layer = (json: string) =>
  [...json.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)].map((match) => Buffer.from(match[1]!, 'base64').toString('latin1')).join('\n');

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
    for (const secret of [email, shippingAddress.line1, 'tok_', marker]) expect(base64Layer(stored)).not.toContain(secret);

    // With the keys (as the codec endpoint decodes for an operator), the workflow's input comes back; its token stays sealed.
    const events = (JSON.parse(stored) as { events: Record<string, any>[] }).events;
    const started = events.find((event) => event.workflowExecutionStartedEventAttributes)!.workflowExecutionStartedEventAttributes;
    const [decoded] = await new AesGcmPayloadCodec(TEST_PAYLOAD_KEYS).decode([payloadFromJson(started.input.payloads[0])]);
    const input = defaultPayloadConverter.fromPayload<Record<string, unknown>>(decoded!);
    expect(input).toMatchObject({ orderId, email, shippingAddress, items: [{ sku, quantity: 1 }] });
    expect(input.paymentToken).toMatch(/^sealed:v1:k2:[\w-]+$/);

    // Through the codec endpoint, as the CLI (and the web UI) call it: the operator reads the order, never the token.
    const codec = await serveCodec('operator-token');
    try {
      const decodedHistory = base64Layer(await storedHistory(orderId, ['--codec-endpoint', codec.url, '--codec-auth', 'Bearer operator-token']));
      expect(decodedHistory).toContain(email);
      expect(decodedHistory).toContain(shippingAddress.line1);
      expect(decodedHistory).toContain(input.paymentToken as string);
      expect(decodedHistory).not.toContain('tok_');
    } finally {
      codec.close();
    }
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
