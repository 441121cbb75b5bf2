// What an operator's Prometheus sees after real orders: every component's /metrics, and the counters each order moves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/broker.js';
import { call, createProduct, orderRequest, placeOrder, waitForStatus } from '../support/http.js';
import { orderViewQueueName } from '../../event-handlers/order-view/index.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.teardown();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, as far as these assertions need it (no escaped quotes in our label values). */
async function scrape(baseUrl: string): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await response.text();
  const samples = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line)!;
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1]!, label[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
  return { text, samples };
}

/** The sum of the samples with this name whose labels include these. */
const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);

describe('metrics', () => {
  it('every component answers /metrics; an order moves the HTTP, event, outbox and order metrics as it goes', async () => {
    const sku = await createProduct(stack, 5);
    const before = (await scrape(stack.api)).samples;

    const confirmed = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]));
    expect(confirmed.status).toBe(201);
    const declined = await placeOrder(stack, orderRequest([{ sku, quantity: 1 }], { paymentToken: 'tok_declined' }));
    expect(declined.status).toBe(201);
    await waitForStatus(stack, confirmed.body.orderId, 'CONFIRMED');
    await waitForStatus(stack, declined.body.orderId, 'PAYMENT_DECLINED');
    expect((await call(`${stack.api}/no-such-route/${confirmed.body.orderId}`)).status).toBe(404);

    // Components share this test's process (and its registry), so each surface shows the same counters: the
    // assertions look at the labels each component sets, through the surface an operator would scrape for it.
    for (const url of [stack.paymentProvider, stack.inventory, stack.notifications, stack.orderOutcome, stack.orderView, stack.carrier, stack.shipping, stack.worker]) {
      await scrape(url);
    }

    const delta = (samples: Sample[], name: string, labels: Record<string, string> = {}) => total(samples, name, labels) - total(before, name, labels);
    await eventually(async () => {
      const { samples } = await scrape(stack.api);
      expect(delta(samples, 'ensemble_http_request_duration_seconds_count', { component: 'api', method: 'POST', route: '/orders', status: '201' })).toBe(2);
      expect(delta(samples, 'ensemble_http_request_duration_seconds_count', { component: 'api', method: 'GET', route: '/orders/:orderId', status: '200' })).toBeGreaterThan(0);
      expect(delta(samples, 'ensemble_http_request_duration_seconds_count', { component: 'api', route: 'unmatched', status: '404' })).toBe(1);
      expect(delta(samples, 'ensemble_http_request_duration_seconds_count', { component: 'payment-provider', method: 'POST' })).toBeGreaterThanOrEqual(3);

      // The worker published the orchestration's facts; inventory published its outcome through its outbox.
      expect(delta(samples, 'ensemble_events_published_total', { component: 'worker', type: 'order.placed' })).toBe(2);
      expect(delta(samples, 'ensemble_events_published_total', { component: 'worker', type: 'order.paid' })).toBe(1);
      expect(delta(samples, 'ensemble_events_published_total', { component: 'worker', type: 'order.confirmed' })).toBe(1);
      expect(delta(samples, 'ensemble_events_published_total', { component: 'worker', type: 'order.payment-declined' })).toBe(1);
      expect(delta(samples, 'ensemble_events_published_total', { component: 'inventory', type: 'inventory.reserved' })).toBe(1);
      // Shipping booked the confirmed order's parcel with the carrier and published its dispatch and delivery.
      expect(delta(samples, 'ensemble_http_request_duration_seconds_count', { component: 'carrier', method: 'POST', route: '/shipments', status: '201' })).toBe(1);
      expect(delta(samples, 'ensemble_events_published_total', { component: 'shipping', type: 'shipment.dispatched' })).toBe(1);
      expect(delta(samples, 'ensemble_events_published_total', { component: 'shipping', type: 'shipment.delivered' })).toBe(1);

      // Consumed per type: inventory took order.paid and order.confirmed, the bridge inventory.reserved, shipping
      // order.confirmed, notifications three and the shipment's two; the order view took every one of them as well.
      expect(delta(samples, 'ensemble_events_consumed_total', { type: 'order.paid' })).toBe(2);
      expect(delta(samples, 'ensemble_events_consumed_total', { type: 'inventory.reserved' })).toBe(2);
      expect(delta(samples, 'ensemble_events_consumed_total', { type: 'order.confirmed' })).toBe(4);
      expect(delta(samples, 'ensemble_events_consumed_total', { type: 'shipment.dispatched' })).toBe(2);
      expect(delta(samples, 'ensemble_events_consumed_total', { type: 'shipment.delivered' })).toBe(2);
      expect(delta(samples, 'ensemble_events_consumed_total', { type: 'order.placed' })).toBe(4);
      expect(delta(samples, 'ensemble_events_consumed_total', { type: 'order.payment-declined' })).toBe(2);
      const viewQueue = orderViewQueueName(stack.config.EVENTS_EXCHANGE);
      expect(delta(samples, 'ensemble_events_consumed_total', { queue: viewQueue })).toBe(8);
      expect(delta(samples, 'ensemble_event_handling_duration_seconds_count', { type: 'order.paid', outcome: 'handled' })).toBe(2);
      expect(delta(samples, 'ensemble_events_dead_lettered_total')).toBe(0);

      // Each terminal order counted once, with its status and reason, and its end-to-end time observed.
      expect(delta(samples, 'ensemble_orders_completed_total', { status: 'CONFIRMED', reason: '' })).toBe(1);
      expect(delta(samples, 'ensemble_orders_completed_total', { status: 'PAYMENT_DECLINED' })).toBe(1);
      expect(delta(samples, 'ensemble_order_duration_seconds_count', { status: 'CONFIRMED' })).toBe(1);
      expect(total(samples, 'ensemble_order_duration_seconds_sum', { status: 'CONFIRMED' })).toBeGreaterThan(0);

      // Relayed and drained: nothing left in inventory's outbox, no order waiting on inventory, no queue behind.
      expect(samples.filter((s) => s.name === 'ensemble_outbox_backlog' && s.labels.component === 'inventory').map((s) => s.value)).toEqual([0]);
      expect(total(samples, 'ensemble_outbox_oldest_age_seconds', { component: 'inventory' })).toBe(0);
      expect(samples.filter((s) => s.name === 'ensemble_orders_awaiting_inventory').map((s) => s.value)).toEqual([0]);
      expect(samples.filter((s) => s.name === 'ensemble_orders_inventory_slow').map((s) => s.value)).toEqual([0]);
      const depths = samples.filter((s) => s.name === 'ensemble_consumer_queue_depth');
      expect(depths.length).toBeGreaterThanOrEqual(3);
      expect(depths.every((s) => s.value === 0)).toBe(true);
      expect(samples.filter((s) => s.name === 'ensemble_dead_letter_queue_depth').every((s) => s.value === 0)).toBe(true);
    }, { timeoutMs: 20_000 });

    // The worker adds the Temporal core's own metrics (its SDK's Prometheus exporter) and the process defaults.
    const worker = await scrape(stack.worker);
    expect(worker.samples.some((s) => s.name.startsWith('temporal_'))).toBe(true);
    expect(worker.samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    // Appended, not merged: Prometheus refuses a scrape that declares a family twice.
    const families = [...worker.text.matchAll(/^# TYPE (\S+)/gm)].map((match) => match[1]);
    expect(new Set(families).size).toBe(families.length);
    expect((await call(`${stack.worker}/health`)).body).toEqual({ status: 'ok' });
  });
});
