// HTTP helpers for end-to-end tests: the API as a client sees it, and the owners' surfaces an operator would check.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
/** Where the system's HTTP surfaces are: the in-process stack and the fault suite's process cluster both have them. */
export interface Endpoints {
  api: string;
  paymentProvider: string;
  inventory: string;
  notifications: string;
  carrier: string;
  shipping: string;
}
import { eventually } from './broker.js';
import { adminAuth, serviceAuth } from './secrets.js';

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * Calls the API as an operator (an admin token) unless `headers.authorization` says otherwise; owners' surfaces
 * want the service credential instead (`ownerCall`).
 */
export async function call<T = any>(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer<T>> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...(await adminAuth()), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

/** A component's own surface (inventory, notifications, order-outcome, the payment stand-in), with the service credential. */
export const ownerCall = <T = any>(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  call<T>(url, { ...init, headers: { ...serviceAuth, ...init.headers } });

export function orderRequest(items: { sku: string; quantity: number }[], overrides: Record<string, unknown> = {}) {
  return {
    customerId: `cust-${randomUUID().slice(0, 8)}`,
    email: 'grace@example.com',
    items,
    paymentToken: 'tok_visa',
    shippingAddress: { name: 'Grace Hopper', line1: '1 Navy Yard', city: 'Arlington', postalCode: '22202', country: 'US' },
    ...overrides,
  };
}

export const placeOrder = (stack: Endpoints, body: unknown, idempotencyKey?: string) =>
  call(`${stack.api}/orders`, { method: 'POST', body, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });

export const getOrder = (stack: Endpoints, orderId: string) => call(`${stack.api}/orders/${orderId}`);

/** Polls the API until the order reaches the status (or fails with the last answer seen). */
export async function waitForStatus(stack: Endpoints, orderId: string, status: string, timeoutMs = 30_000) {
  return eventually(async () => {
    const answer = await getOrder(stack, orderId);
    expect(answer.body?.status, JSON.stringify(answer.body)).toBe(status);
    return answer.body;
  }, { timeoutMs, intervalMs: 100 });
}

const terminalStatuses = ['CONFIRMED', 'REJECTED', 'PAYMENT_DECLINED', 'CANCELLED'];

/** Polls the API until the order has ended, whichever way; for outcomes the product does not fix in advance. */
export async function waitForTerminal(stack: Endpoints, orderId: string, timeoutMs = 30_000) {
  return eventually(async () => {
    const answer = await getOrder(stack, orderId);
    expect(terminalStatuses, JSON.stringify(answer.body)).toContain(answer.body?.status);
    return answer.body;
  }, { timeoutMs, intervalMs: 100 });
}

/** A product of its own for one test, written through the API to the owner, and visible on the orders side. */
export async function createProduct(stack: Endpoints, available: number, price = 1000) {
  const sku = `SKU-${randomUUID().slice(0, 8).toUpperCase()}`;
  const put = await call(`${stack.api}/products/${sku}`, { method: 'PUT', body: { name: `Test product ${sku}`, price, available } });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  await eventually(async () => {
    const seen = await call(`${stack.api}/products/${sku}`);
    expect(seen.body?.available).toBe(available);
  });
  return sku;
}

/** The owner's view of stock, which the orders side only ever sees through events. */
export async function stockOf(stack: Endpoints, sku: string): Promise<{ onHand: number; reserved: number; available: number }> {
  return (await ownerCall(`${stack.inventory}/products/${sku}`)).body;
}

export async function paymentsOf(stack: Endpoints, orderId: string) {
  return (await ownerCall(`${stack.paymentProvider}/v1/authorizations?orderId=${encodeURIComponent(orderId)}`)).body.authorizations as {
    status: string;
    amount: number;
    captureCount: number;
    voidCount: number;
  }[];
}

export async function notificationsOf(stack: Endpoints, orderId: string): Promise<{ type: string; to: string; channel: string }[]> {
  return (await call(`${stack.api}/notifications?orderId=${encodeURIComponent(orderId)}`)).body.notifications;
}
