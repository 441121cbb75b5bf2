// The ledger: for a set of accepted orders, reads the API, the owners' stores, the processor and the broker, and checks every promise.
import { expect } from 'vitest';
import { eventually } from '../broker.js';
import { call, notificationsOf, ownerCall, paymentsOf, type Endpoints } from '../http.js';

const terminal = ['CONFIRMED', 'REJECTED', 'PAYMENT_DECLINED', 'CANCELLED'];

/** The notifications a customer gets for each terminal state, each exactly once. */
const expectedNotifications: Record<string, string[]> = {
  CONFIRMED: ['ORDER_CONFIRMED', 'ORDER_DELIVERED', 'ORDER_PLACED', 'ORDER_SHIPPED'],
  CANCELLED: ['ORDER_CANCELLED', 'ORDER_PLACED'],
  PAYMENT_DECLINED: ['ORDER_PLACED', 'PAYMENT_DECLINED'],
  REJECTED: [],
};

export interface LedgerInput {
  endpoints: Endpoints;
  managementUrl: string;
  /** Every order the API accepted with 2xx (and the 422 ones too: they must end REJECTED with nothing moved). */
  orderIds: string[];
  /** Stock of each product before the orders, as the owner counted it. */
  initialStock: Record<string, number>;
  /** Dead-letter queues allowed to hold messages at the end, with how many (a poison-message scenario). */
  expectedDeadLetters?: Record<string, number>;
  timeoutMs?: number;
}

export interface LedgerReport {
  statuses: Record<string, string>;
  confirmedUnits: Record<string, number>;
}

export async function checkLedger(input: LedgerInput): Promise<LedgerReport> {
  const { endpoints, orderIds, initialStock } = input;
  const timeoutMs = input.timeoutMs ?? 180_000;

  // 1. Every accepted order reaches exactly one terminal state (and stays there).
  const orders = await eventually(async () => {
    const answers = await inBatches(orderIds, (orderId) => call(`${endpoints.api}/orders/${orderId}`));
    const notDone = answers.filter((answer) => !terminal.includes(answer.body?.status));
    expect(notDone.map((answer) => answer.body?.orderId ?? answer.status), 'orders not yet terminal').toEqual([]);
    return answers.map((answer) => answer.body as { orderId: string; status: string; lines: { sku: string; quantity: number }[] });
  }, { timeoutMs, intervalMs: 500 });
  const statuses = Object.fromEntries(orders.map((order) => [order.orderId, order.status]));

  // 2. Money moves exactly as the state says: one capture for CONFIRMED, never a capture otherwise.
  await inBatches(orders, async (order) => {
    const payments = await paymentsOf(endpoints, order.orderId);
    const where = `payments of ${order.status} order ${order.orderId}: ${JSON.stringify(payments)}`;
    if (order.status === 'CONFIRMED') {
      expect(payments, where).toHaveLength(1);
      expect(payments[0], where).toMatchObject({ status: 'CAPTURED', captureCount: 1, voidCount: 0 });
    } else if (order.status === 'CANCELLED') {
      expect(payments, where).toHaveLength(1);
      expect(payments[0], where).toMatchObject({ status: 'VOIDED', captureCount: 0, voidCount: 1 });
    } else {
      expect(payments, where).toEqual([]);
    }
  });

  // 3. Stock changes exactly once per confirmed line and never goes below zero; nothing stays reserved.
  const confirmedUnits: Record<string, number> = {};
  for (const order of orders.filter((o) => o.status === 'CONFIRMED')) {
    for (const line of order.lines) confirmedUnits[line.sku] = (confirmedUnits[line.sku] ?? 0) + line.quantity;
  }
  await eventually(async () => {
    for (const [sku, initial] of Object.entries(initialStock)) {
      const stock = (await ownerCall(`${endpoints.inventory}/products/${sku}`)).body as { onHand: number; reserved: number };
      expect(stock, `stock of ${sku}`).toMatchObject({ onHand: initial - (confirmedUnits[sku] ?? 0), reserved: 0 });
      expect(stock.onHand).toBeGreaterThanOrEqual(0);
    }
    await inBatches(orders, async (order) => {
      const { reservations } = (await ownerCall(`${endpoints.inventory}/reservations?orderId=${order.orderId}`)).body as {
        reservations: { sku: string; quantity: number; status: string }[];
      };
      const held = reservations.filter((r) => r.status !== 'RELEASED');
      if (order.status === 'CONFIRMED') {
        expect(held.map((r) => `${r.sku}:${r.quantity}:${r.status}`).sort(), `reservations of ${order.orderId}`).toEqual(
          order.lines.map((l) => `${l.sku}:${l.quantity}:COMMITTED`).sort(),
        );
      } else {
        expect(held, `reservations of ${order.status} order ${order.orderId}`).toEqual([]);
      }
    });
  }, { timeoutMs, intervalMs: 500 });

  // 4. The customer gets each notification once.
  await eventually(async () => {
    await inBatches(orders, async (order) => {
      const types = (await notificationsOf(endpoints, order.orderId)).map((n) => n.type).sort();
      expect(types, `notifications of ${order.status} order ${order.orderId}`).toEqual(expectedNotifications[order.status]);
    });
  }, { timeoutMs, intervalMs: 500 });

  // 5. Every confirmed order shipped exactly once (one booking at the carrier, one shipment.dispatched emitted) and was
  //    delivered; no other order, cancelled ones above all, ever reached the carrier or left shipping.
  await eventually(async () => {
    await inBatches(orders, async (order) => {
      const where = `shipping of ${order.status} order ${order.orderId}`;
      const bookings = (await ownerCall(`${endpoints.carrier}/shipments?orderId=${encodeURIComponent(order.orderId)}`)).body as { shipments: { status: string }[] };
      const journal = (await ownerCall(`${endpoints.shipping}/journal?orderId=${encodeURIComponent(order.orderId)}`)).body as { entries: { kind: string; name: string }[] };
      const emitted = journal.entries.filter((entry) => entry.kind === 'event-emitted').map((entry) => entry.name);
      if (order.status === 'CONFIRMED') {
        expect(bookings.shipments.map((shipment) => shipment.status), `${where}: carrier bookings`).toEqual(['DELIVERED']);
        expect(emitted.sort(), `${where}: events emitted`).toEqual(['shipment.delivered', 'shipment.dispatched']);
        const relayed = journal.entries.filter((entry) => entry.kind === 'event-relayed').map((entry) => entry.name);
        expect(relayed.sort(), `${where}: events relayed`).toEqual(['shipment.delivered', 'shipment.dispatched']);
      } else {
        expect(bookings.shipments, `${where}: carrier bookings`).toEqual([]);
        expect(emitted, `${where}: events emitted`).toEqual([]);
      }
    });
  }, { timeoutMs, intervalMs: 500 });

  // 6. Every event was handled by each consumer or sits, visible, in a dead-letter queue: nothing left in flight.
  await eventually(async () => {
    // A stream (the order view's history) keeps what it was given by design: it is not a backlog.
    const queues = (await listQueues(input.managementUrl)).filter((queue) => queue.type !== 'stream');
    for (const queue of queues) {
      const expected = queue.name.endsWith('.dlq') || queue.name.endsWith('.unroutable') ? (input.expectedDeadLetters?.[queue.name] ?? 0) : 0;
      expect(`${queue.name}: ${queue.messages}`).toBe(`${queue.name}: ${expected}`);
    }
  }, { timeoutMs, intervalMs: 500 });

  return { statuses, confirmedUnits };
}

export async function listQueues(managementUrl: string): Promise<{ name: string; messages: number; type?: string }[]> {
  const url = new URL('/api/queues/%2F?columns=name,messages,type', managementUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  url.username = '';
  url.password = '';
  const response = await fetch(url, { headers: { authorization } });
  if (!response.ok) throw new Error(`management API answered ${response.status}`);
  return ((await response.json()) as { name: string; messages?: number; type?: string }[]).map((q) => ({ name: q.name, messages: q.messages ?? 0, ...(q.type === undefined ? {} : { type: q.type }) }));
}

/** Runs checks a few at a time: hundreds of orders at once would measure the machine, not the system. */
async function inBatches<T, R>(items: T[], run: (item: T) => Promise<R>, size = 20): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(run))));
  return results;
}
