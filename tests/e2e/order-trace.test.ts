// One trace per order across every hop: HTTP, Temporal (update-with-start, workflow, activities, signal), RabbitMQ and the outbox relay.
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENT_ATTRIBUTE, startTracing } from '../../platform/observability/tracing.js';
import { eventually } from '../support/broker.js';
import { createProduct, ownerCall, notificationsOf, orderRequest, placeOrder, waitForStatus, waitForTerminal } from '../support/http.js';
import { startStack, type Stack } from '../support/stack.js';

const exporter = new InMemorySpanExporter();
let stack: Stack;
let removeExporter: () => void;

beforeAll(async () => {
  // Before the stack: the worker hands workflow spans to the tracing it finds started.
  removeExporter = startTracing({ serviceName: 'ensemble-test' }).addSpanProcessor(new SimpleSpanProcessor(exporter));
  stack = await startStack();
});
afterAll(async () => {
  await stack?.teardown();
  removeExporter?.();
});

/** One order's trace as the collector would hold it, with the questions the test asks of it. */
class OrderTrace {
  private readonly byId: Map<string, ReadableSpan>;
  constructor(readonly spans: ReadableSpan[]) {
    this.byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
  }

  /** Every span called `name` (and made by `component`, when given). */
  all(name: string, component?: string): ReadableSpan[] {
    return this.spans.filter((span) => span.name === name && (component === undefined || span.attributes[COMPONENT_ATTRIBUTE] === component));
  }

  one(name: string, component?: string): ReadableSpan {
    const found = this.all(name, component);
    expect(found.map((span) => span.name), `exactly one "${name}"${component ? ` by ${component}` : ''}`).toHaveLength(1);
    return found[0]!;
  }

  /** The span's ancestry, root first, by following parentSpanId: `component/name` per hop. */
  pathTo(span: ReadableSpan): string[] {
    const path: string[] = [];
    for (let at: ReadableSpan | undefined = span; at; at = at.parentSpanId ? this.byId.get(at.parentSpanId) : undefined) {
      path.unshift(`${String(at.attributes[COMPONENT_ATTRIBUTE])}/${at.name}`);
      if (at.parentSpanId && !this.byId.has(at.parentSpanId)) path.unshift(`<missing parent ${at.parentSpanId}>`);
    }
    return path;
  }
}

/** The trace that the order's POST /orders started: found through its update-with-start span, which names the workflow. */
function traceOf(orderId: string): OrderTrace {
  const spans = exporter.getFinishedSpans();
  const start = spans.find((span) => span.name.startsWith('UpdateWithStartWorkflow:') && span.attributes.temporalWorkflowId === `order-${orderId}`);
  expect(start, `the update-with-start span of order ${orderId}`).toBeDefined();
  return new OrderTrace(spans.filter((span) => span.spanContext().traceId === start!.spanContext().traceId));
}

/** Waits until the trace holds every named span (workflow spans arrive when the workflow's run ends). */
async function completeTraceOf(orderId: string, expected: string[]): Promise<OrderTrace> {
  return eventually(async () => {
    const trace = traceOf(orderId);
    const names = new Set(trace.spans.map((span) => span.name));
    expect(expected.filter((name) => !names.has(name))).toEqual([]);
    return trace;
  }, { timeoutMs: 20_000, intervalMs: 100 });
}

/** From the HTTP request to the workflow run: the path every order's spans hang from. */
const toWorkflow = ['api/POST /orders', 'api/UpdateWithStartWorkflow:cartVerified', 'worker/RunWorkflow:orderWorkflow'];
const activity = (name: string) => [...toWorkflow, `worker/StartActivity:${name}`, `worker/RunActivity:${name}`];
const published = (type: string) => [...activity('publishEvent'), `worker/${type} publish`];

/** Every hop of an order's outcome: order.paid to inventory, its answer relayed from the outbox, the bridge's signal back. */
function outcomePath(outcome: 'inventory.reserved' | 'inventory.rejected') {
  return [
    ...published('order.paid'),
    'inventory/order.paid process',
    `inventory/${outcome} publish`,
    `order-outcome/${outcome} process`,
    'order-outcome/SignalWorkflow:inventoryOutcome',
    'worker/HandleSignal:inventoryOutcome',
  ];
}

describe('tracing an order', () => {
  it('puts every hop of a confirmed order in one trace, each span under the hop that caused it', async () => {
    const sku = await createProduct(stack, 5, 1250);
    const placed = await placeOrder(stack, orderRequest([{ sku, quantity: 2 }]));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const { orderId } = placed.body as { orderId: string };
    await waitForStatus(stack, orderId, 'CONFIRMED');
    await eventually(async () =>
      expect((await notificationsOf(stack, orderId)).map((n) => n.type).sort()).toEqual(['ORDER_CONFIRMED', 'ORDER_DELIVERED', 'ORDER_PLACED', 'ORDER_SHIPPED']),
    );

    const trace = await completeTraceOf(orderId, [
      'RunWorkflow:orderWorkflow', 'HandleSignal:inventoryOutcome', 'order.placed process', 'order.confirmed process', 'POST /v1/authorizations',
    ]);

    // The request is the root: nothing before it, and the client's call had no trace context.
    const root = trace.one('POST /orders', 'api');
    expect(root.parentSpanId).toBeUndefined();
    expect(root.kind).toBe(SpanKind.SERVER);
    expect(trace.spans.filter((span) => span.parentSpanId === undefined)).toEqual([root]);

    expect(trace.pathTo(trace.one('HandleUpdate:cartVerified'))).toEqual([...toWorkflow.slice(0, 2), 'worker/HandleUpdate:cartVerified']);
    expect(trace.pathTo(trace.one('RunActivity:verifyCart'))).toEqual(activity('verifyCart'));
    // The payment provider's server span hangs under the activity's HTTP client span.
    expect(trace.pathTo(trace.one('POST /v1/authorizations', 'payment-provider'))).toEqual([
      ...activity('authorizePayment'),
      'worker/POST /v1/authorizations',
      'payment-provider/POST /v1/authorizations',
    ]);
    expect(trace.pathTo(trace.one('POST /v1/authorizations/:id/capture', 'payment-provider'))).toEqual([
      ...activity('capturePayment'),
      'worker/POST /v1/authorizations/:id/capture',
      'payment-provider/POST /v1/authorizations/:id/capture',
    ]);
    // order.paid → inventory → (outbox, relayed later) inventory.reserved → the bridge → the signal handled in the workflow.
    expect(trace.pathTo(trace.one('HandleSignal:inventoryOutcome'))).toEqual(outcomePath('inventory.reserved'));
    expect(trace.pathTo(trace.one('order.placed process', 'notifications'))).toEqual([...published('order.placed'), 'notifications/order.placed process']);
    expect(trace.pathTo(trace.one('order.confirmed process', 'notifications'))).toEqual([
      ...published('order.confirmed'),
      'notifications/order.confirmed process',
    ]);
    expect(trace.pathTo(trace.one('order.confirmed process', 'inventory'))).toEqual([...published('order.confirmed'), 'inventory/order.confirmed process']);

    // Kinds and the attributes an operator searches by.
    const paidProcess = trace.one('order.paid process', 'inventory');
    expect(paidProcess.kind).toBe(SpanKind.CONSUMER);
    expect(paidProcess.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': expect.stringContaining('inventory') as unknown,
      'messaging.message.id': expect.any(String) as unknown,
      'ensemble.attempt': 1,
      'ensemble.order_id': orderId,
    });
    expect(trace.one('inventory.reserved publish', 'inventory').kind).toBe(SpanKind.PRODUCER);
    expect(trace.one('POST /v1/authorizations', 'worker').kind).toBe(SpanKind.CLIENT);
    // The timeline's entries name the trace: what inventory and the bridge recorded for the order carries its trace id.
    const traceId = root.spanContext().traceId;
    for (const component of [stack.inventory, stack.orderOutcome]) {
      const { entries } = (await ownerCall(`${component}/journal?orderId=${orderId}`)).body as { entries: { kind: string; traceId?: string }[] };
      const recorded = entries.filter((entry) => entry.kind === 'event-consumed' || entry.kind === 'signal-sent');
      expect(recorded.length).toBeGreaterThan(0);
      expect(recorded.map((entry) => entry.traceId)).toEqual(recorded.map(() => traceId));
    }
    // The relay publishes after the handler's transaction committed, from its own loop, and still joins the trace.
    expect(hrTimeToMilliseconds(trace.one('inventory.reserved publish').startTime)).toBeGreaterThanOrEqual(hrTimeToMilliseconds(paidProcess.startTime));
  });

  it('follows a cancelled order (OUT_OF_STOCK) through inventory’s rejection and the compensation, in its own trace', async () => {
    const sku = await createProduct(stack, 1);
    // With inventory away, both orders pass verification against the replica's "1 available" and wait for the outcome.
    await stack.stop('inventory');
    const orderIds: string[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const orderId = (await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]))).body.orderId as string;
        await waitForStatus(stack, orderId, 'PAYMENT_AUTHORIZED');
        orderIds.push(orderId);
      }
    } finally {
      await stack.start('inventory');
    }
    const finals = await Promise.all(orderIds.map((orderId) => waitForTerminal(stack, orderId)));
    const loser = finals.find((order) => order.status === 'CANCELLED');
    expect(loser, JSON.stringify(finals)).toMatchObject({ reason: 'OUT_OF_STOCK' });
    const winner = finals.find((order) => order.status === 'CONFIRMED');
    await eventually(async () => expect((await notificationsOf(stack, loser.orderId)).map((n) => n.type).sort()).toEqual(['ORDER_CANCELLED', 'ORDER_PLACED']));

    const trace = await completeTraceOf(loser.orderId, ['RunWorkflow:orderWorkflow', 'HandleSignal:inventoryOutcome', 'order.cancelled process']);
    expect(trace.pathTo(trace.one('HandleSignal:inventoryOutcome'))).toEqual(outcomePath('inventory.rejected'));
    expect(trace.pathTo(trace.one('POST /v1/authorizations/:id/void', 'payment-provider'))).toEqual([
      ...activity('voidPayment'),
      'worker/POST /v1/authorizations/:id/void',
      'payment-provider/POST /v1/authorizations/:id/void',
    ]);
    expect(trace.pathTo(trace.one('order.cancelled process', 'notifications'))).toEqual([
      ...published('order.cancelled'),
      'notifications/order.cancelled process',
    ]);
    expect(trace.pathTo(trace.one('order.cancelled process', 'inventory'))).toEqual([...published('order.cancelled'), 'inventory/order.cancelled process']);
    // Two orders, two traces: nothing of the winner leaked into the loser's.
    expect(traceOf(winner.orderId).spans[0]!.spanContext().traceId).not.toBe(trace.spans[0]!.spanContext().traceId);
    expect(trace.spans.filter((span) => span.attributes['ensemble.order_id'] === winner.orderId)).toEqual([]);
  });
});
