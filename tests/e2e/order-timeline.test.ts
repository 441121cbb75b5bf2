// End to end: GET /orders/:id/timeline tells one order's story across the workflow and the choreography, on real servers.
import amqplib from 'amqplib';
import { freezeStockMovements } from '../support/databases.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerQueueName, deadLetterQueueName } from '../../platform/messaging/wire-names.js';
import { startTracing } from '../../platform/observability/tracing.js';
import { eventually, watchEvents } from '../support/broker.js';
import { call, createProduct, orderRequest, placeOrder, waitForStatus } from '../support/http.js';
import { startStack, type Stack } from '../support/stack.js';

interface Entry {
  at: string;
  source: string;
  kind: string;
  name: string;
  detail?: Record<string, any>;
  eventId?: string;
  traceId?: string;
  attempt?: number;
}

let stack: Stack;

beforeAll(async () => {
  // As every component's main does: with tracing started, entries carry the trace id of the work they record.
  startTracing({ serviceName: 'ensemble-test' });
  // Five attempts close together, so a failing event reaches the dead-letter queue in about a second.
  stack = await startStack({ env: { CONSUMER_MAX_ATTEMPTS: '5', CONSUMER_RETRY_DELAYS_MS: '100,200,300' } });
});
afterAll(async () => {
  await stack?.teardown();
});

const timelineOf = async (orderId: string) => (await call<{ orderId: string; entries: Entry[]; unavailableSources: unknown[] }>(`${stack.api}/orders/${orderId}/timeline`));

/** Reads the timeline until `done` holds for its entries: participants record their part as they go. */
async function timelineUntil(orderId: string, done: (entries: Entry[]) => boolean) {
  return eventually(async () => {
    const answer = await timelineOf(orderId);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(done(answer.body.entries), JSON.stringify(answer.body.entries, null, 1)).toBe(true);
    return answer.body;
  }, { timeoutMs: 20_000, intervalMs: 200 });
}

const find = (entries: Entry[], where: Partial<Entry> & { outcome?: string }) =>
  entries.findIndex((entry) =>
    Object.entries(where).every(([key, value]) => (key === 'outcome' ? entry.detail?.outcome === value : (entry as any)[key] === value)),
  );

/** Asserts the steps happened in this order: each is present and no earlier than the one before (ties are one instant). */
function expectInOrder(entries: Entry[], steps: (Partial<Entry> & { outcome?: string })[]) {
  const listing = entries.map((e) => `${e.at} ${e.source} ${e.kind} ${e.name} ${e.detail?.outcome ?? ''}`).join('\n');
  let previous: Entry | undefined;
  for (const step of steps) {
    const index = find(entries, step);
    expect(index, `${JSON.stringify(step)} in\n${listing}`).toBeGreaterThan(-1);
    const entry = entries[index]!;
    if (previous) expect(entry.at >= previous.at, `${JSON.stringify(step)} is not before the step before it\n${listing}`).toBe(true);
    previous = entry;
  }
}

describe('the order timeline', () => {
  it('tells a confirmed order in time order: the workflow steps, each event consumed, emitted and relayed, the signal back and the notifications', async () => {
    const sku = await createProduct(stack, 5);
    const placed = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]));
    const { orderId } = placed.body;
    await waitForStatus(stack, orderId, 'CONFIRMED');

    const { entries, unavailableSources } = await timelineUntil(orderId, (all) =>
      all.filter((entry) => entry.kind === 'notification-sent').length === 4 && all.some((entry) => entry.kind === 'workflow-completed'),
    );
    expect(unavailableSources).toEqual([]);
    expect([...entries].sort((a, b) => a.at.localeCompare(b.at))).toEqual(entries);
    expect(new Set(entries.map((entry) => entry.source))).toEqual(
      new Set(['orchestrator', 'catalog-replica', 'payment', 'inventory', 'order-outcome', 'notifications', 'shipping']),
    );

    expectInOrder(entries, [
      { source: 'orchestrator', kind: 'workflow-started', name: 'orderWorkflow' },
      { source: 'catalog-replica', kind: 'step-completed', name: 'verifyCart' },
      // order.placed and the authorization run side by side; both end before order.paid is published.
      { source: 'payment', kind: 'step-completed', name: 'authorizePayment' },
      { source: 'orchestrator', kind: 'step-started', name: 'publishEvent', eventId: `${orderId}:order.paid` },
      { source: 'inventory', kind: 'event-consumed', name: 'order.paid', outcome: 'handled' },
      { source: 'inventory', kind: 'event-emitted', name: 'inventory.reserved' },
      { source: 'inventory', kind: 'event-relayed', name: 'inventory.reserved' },
      { source: 'order-outcome', kind: 'event-consumed', name: 'inventory.reserved', outcome: 'handled' },
      { source: 'order-outcome', kind: 'signal-sent', name: 'inventoryOutcome' },
      { source: 'orchestrator', kind: 'signal-received', name: 'inventoryOutcome' },
      { source: 'payment', kind: 'step-completed', name: 'capturePayment' },
      { source: 'orchestrator', kind: 'event-published', name: 'order.confirmed' },
      { source: 'orchestrator', kind: 'workflow-completed', name: 'CONFIRMED' },
    ]);
    expectInOrder(entries, [
      { source: 'catalog-replica', kind: 'step-completed', name: 'verifyCart' },
      { source: 'orchestrator', kind: 'event-published', name: 'order.placed' },
      { source: 'orchestrator', kind: 'step-started', name: 'publishEvent', eventId: `${orderId}:order.paid` },
    ]);
    // Shipping's part follows order.confirmed: booked, dispatched, delivered, each event relayed and the customer told.
    expectInOrder(entries, [
      { source: 'orchestrator', kind: 'step-started', name: 'publishEvent', eventId: `${orderId}:order.confirmed` },
      { source: 'shipping', kind: 'event-consumed', name: 'order.confirmed', outcome: 'handled' },
      { source: 'shipping', kind: 'shipment-booked' },
      { source: 'shipping', kind: 'event-relayed', name: 'shipment.dispatched' },
      { source: 'notifications', kind: 'event-consumed', name: 'shipment.dispatched', outcome: 'handled' },
      { source: 'shipping', kind: 'shipment-delivered' },
      { source: 'shipping', kind: 'event-relayed', name: 'shipment.delivered' },
    ]);
    // The event ids tie the halves together: what the workflow published is what inventory consumed.
    const paid = entries.find((entry) => entry.source === 'inventory' && entry.name === 'order.paid')!;
    expect(paid).toMatchObject({ eventId: `${orderId}:order.paid`, attempt: 1 });
    const reserved = entries.find((entry) => entry.kind === 'event-emitted' && entry.source === 'inventory')!;
    expect(entries.find((entry) => entry.kind === 'signal-received')?.eventId).toBe(reserved.eventId);
    expect(entries.filter((entry) => entry.source === 'notifications' && entry.kind === 'notification-sent').map((entry) => entry.name).sort()).toEqual([
      'ORDER_CONFIRMED',
      'ORDER_DELIVERED',
      'ORDER_PLACED',
      'ORDER_SHIPPED',
    ]);
    // One trace: the workflow's entries, inventory's and the bridge's carry the same trace id.
    const traceIds = new Set(entries.flatMap((entry) => (entry.traceId ? [entry.traceId] : [])));
    expect(traceIds.size).toBe(1);
    for (const hop of [
      find(entries, { kind: 'workflow-started' }),
      find(entries, { source: 'inventory', kind: 'event-consumed' }),
      find(entries, { source: 'order-outcome', kind: 'signal-sent' }),
      find(entries, { source: 'orchestrator', kind: 'signal-received' }),
      find(entries, { source: 'notifications', kind: 'notification-sent', name: 'ORDER_CONFIRMED' }),
      find(entries, { source: 'shipping', kind: 'shipment-booked' }),
    ]) {
      expect(entries[hop]!.traceId, JSON.stringify(entries[hop])).toMatch(/^[0-9a-f]{32}$/);
    }
    // Where the customer was written to is not the timeline's business.
    expect(JSON.stringify(entries)).not.toContain('@example.com');
  });

  it('shows a failing order.paid retried with its reason, dead-lettered, replayed by an operator and then handled, and a duplicate delivery ignored', async () => {
    const sku = await createProduct(stack, 5);
    // The fault: stock movements on this sku are frozen at the database, so every reservation attempt fails.
    const thaw = await freezeStockMovements(stack.config.DATABASE_URL!, sku);
    const watch = await watchEvents(stack.config.AMQP_URL[0]!, stack.config.EVENTS_EXCHANGE, ['order.paid']);
    try {
      const { orderId } = (await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]))).body;
      const deadLetters = deadLetterQueueName(consumerQueueName(stack.config.EVENTS_EXCHANGE, 'inventory'));
      await timelineUntil(orderId, (all) => find(all, { source: 'inventory', name: 'order.paid', outcome: 'dead-lettered' }) >= 0);

      // The fix, then the operator's replay of that one message.
      await thaw();
      const replay = await call(`${stack.api}/admin/dead-letters/${encodeURIComponent(deadLetters)}/replay`, {
        method: 'POST',
        body: { messageId: `${orderId}:order.paid` },
      });
      expect(replay.status, JSON.stringify(replay.body)).toBe(200);
      await waitForStatus(stack, orderId, 'CONFIRMED');

      // The same order.paid delivered once more (as a broker might): inventory's inbox recognises it.
      const original = await eventually(() => {
        const event = watch.ofType('order.paid').find((candidate) => candidate.orderId === orderId);
        if (!event) throw new Error('order.paid not seen');
        return event;
      });
      const connection = await amqplib.connect(stack.config.AMQP_URL[0]!);
      try {
        const channel = await connection.createConfirmChannel();
        channel.publish(stack.config.EVENTS_EXCHANGE, 'order.paid', Buffer.from(JSON.stringify(original)), {
          persistent: true,
          messageId: original.eventId,
          contentType: 'application/json',
        });
        await channel.waitForConfirms();
      } finally {
        await connection.close();
      }

      const { entries } = await timelineUntil(orderId, (all) => find(all, { source: 'inventory', name: 'order.paid', outcome: 'duplicate' }) >= 0);
      const paid = entries.filter((entry) => entry.source === 'inventory' && entry.kind === 'event-consumed' && entry.name === 'order.paid');
      expect(paid.map((entry) => [entry.attempt, entry.detail?.outcome])).toEqual([
        [1, 'retry-scheduled'],
        [2, 'retry-scheduled'],
        [3, 'retry-scheduled'],
        [4, 'retry-scheduled'],
        [5, 'dead-lettered'],
        [1, 'handled'],
        [1, 'duplicate'],
      ]);
      expect(paid[0]!.detail?.reason).toMatch(/stock movements are frozen/);
      expect(paid[5]!.detail?.replayedAt).toEqual(expect.any(String));
      expectInOrder(entries, [
        { source: 'inventory', name: 'order.paid', outcome: 'dead-lettered' },
        { source: 'inventory', name: 'order.paid', outcome: 'handled' },
        { source: 'inventory', kind: 'event-relayed', name: 'inventory.reserved' },
        { source: 'orchestrator', kind: 'signal-received', name: 'inventoryOutcome' },
        { source: 'orchestrator', kind: 'workflow-completed', name: 'CONFIRMED' },
      ]);
    } finally {
      await watch.close();
    }
  });

  it("ends the rejected-cart and declined-card paths with the workflow's outcome", async () => {
    const sku = await createProduct(stack, 5);
    const rejected = await placeOrder(stack, orderRequest([{ sku: 'NO-SUCH-SKU', quantity: 1 }]));
    expect(rejected.status).toBe(422);
    const declined = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }], { paymentToken: 'tok_declined' }));
    await waitForStatus(stack, declined.body.orderId, 'PAYMENT_DECLINED');

    const rejectedTimeline = await timelineUntil(rejected.body.error.orderId, (all) => all.some((entry) => entry.kind === 'workflow-completed'));
    expectInOrder(rejectedTimeline.entries, [
      { kind: 'workflow-started' },
      { source: 'catalog-replica', kind: 'step-completed', name: 'verifyCart' },
      { kind: 'workflow-completed', name: 'REJECTED' },
    ]);
    const declinedTimeline = await timelineUntil(declined.body.orderId, (all) =>
      all.some((entry) => entry.kind === 'workflow-completed') && all.some((entry) => entry.name === 'PAYMENT_DECLINED' && entry.kind === 'notification-sent'),
    );
    expectInOrder(declinedTimeline.entries, [
      { source: 'payment', kind: 'step-failed', name: 'authorizePayment' },
      // Published means Temporal recorded the publish step's completion, which may come after a quick consumer took the event.
      { source: 'orchestrator', kind: 'step-started', name: 'publishEvent', eventId: `${declined.body.orderId}:order.payment-declined` },
      { source: 'notifications', kind: 'event-consumed', name: 'order.payment-declined', outcome: 'handled' },
      { source: 'notifications', kind: 'notification-sent', name: 'PAYMENT_DECLINED' },
    ]);
    expect(declinedTimeline.entries.find((entry) => entry.kind === 'step-failed')?.detail?.failure).toMatch(/^PaymentDeclined/);
    expect(declinedTimeline.entries.find((entry) => entry.kind === 'workflow-completed')?.name).toBe('PAYMENT_DECLINED');
  });

  it('still answers when a participant is down, naming it, and answers 404 for an unknown order', async () => {
    const sku = await createProduct(stack, 5);
    const { orderId } = (await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]))).body;
    await waitForStatus(stack, orderId, 'CONFIRMED');
    await stack.stop('notifications');
    try {
      const answer = await timelineOf(orderId);
      expect(answer.status).toBe(200);
      expect(answer.body.unavailableSources).toEqual([{ source: 'notifications', message: expect.any(String) }]);
      expect(answer.body.entries.some((entry) => entry.source === 'inventory')).toBe(true);
      expect(answer.body.entries.some((entry) => entry.source === 'notifications')).toBe(false);
    } finally {
      await stack.start('notifications');
    }
    const unknown = await timelineOf('00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
