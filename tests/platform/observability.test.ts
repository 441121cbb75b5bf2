// Logs and metrics at the platform level: trace ids on log lines, the consumer's per-message fields and counters, route labels.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { context, trace, ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';
import express from 'express';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEvent } from '../../platform/events/catalog.js';
import { httpMetrics } from '../../platform/http/metrics-middleware.js';
import { listen } from '../../platform/http/listen.js';
import { createLogger } from '../../platform/logger.js';
import { connectBroker, type Broker } from '../../platform/messaging/broker.js';
import { startConsumer } from '../../platform/messaging/consumer.js';
import { createEventPublisher } from '../../platform/messaging/publisher.js';
import { registry } from '../../platform/observability/metrics.js';
import { eventually, testLog } from '../support/broker.js';

/** Collects what a logger wrote, one parsed JSON object per line. */
function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

/** A synchronous context manager, enough to make a span active for the duration of a callback (the SDK's does the same across async hops). */
class StackContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;
  active = () => this.current;
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.current;
    this.current = ctx;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }
  bind = <T>(_ctx: Context, target: T) => target;
  enable = () => this;
  disable = () => this;
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  // A histogram's _count and _sum are values of the histogram itself.
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name || name === `${m.name}_count` || name === `${m.name}_sum`);
  const values = (metric?.values ?? []) as { labels: Record<string, string | number>; value: number; metricName?: string }[];
  return values
    .filter((v) => (v.metricName ?? name) === name && Object.entries(labels).every(([key, value]) => String(v.labels[key]) === value))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('log lines', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new StackContextManager());
  });
  afterAll(() => {
    context.disable();
  });

  it('carry the traceId and spanId of the active span, and nothing when there is none', () => {
    const { lines, stream } = captureLogs();
    const log = createLogger('observability-test', 'info', stream);
    const span = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });

    context.with(trace.setSpan(context.active(), span), () => log.child({ orderId: 'o-1' }).info('inside a span'));
    log.info('outside any span');

    expect(lines[0]).toMatchObject({ msg: 'inside a span', component: 'observability-test', orderId: 'o-1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
    expect(lines[1]).toMatchObject({ msg: 'outside any span' });
    expect(lines[1]).not.toHaveProperty('traceId');
  });
});

describe('the consumer', () => {
  const infrastructure = inject('infrastructure');
  const exchange = `test.observability.${randomUUID().slice(0, 8)}`;
  let broker: Broker;

  beforeAll(async () => {
    broker = await connectBroker(infrastructure.amqpUrl, testLog, 'observability-test');
  });
  afterAll(async () => {
    await broker.close();
  });

  it("gives each message's logger its eventId and orderId, and counts each delivery by queue, type and outcome", async () => {
    const queue = `test-observability-${randomUUID().slice(0, 8)}`;
    const { lines, stream } = captureLogs();
    const log = createLogger('observability-test', 'info', stream);
    let calls = 0;
    const consumer = startConsumer(broker, log, {
      queue, exchange, bindings: ['order.placed'], prefetch: 10, maxAttempts: 2, retryDelaysMs: [50], confirmTimeoutMs: 5_000,
      handler: async (_event, { log: eventLog }) => {
        eventLog.info('handling');
        calls++;
        // Fails once, then succeeds; a second copy of the event is a duplicate.
        if (calls === 1) throw new Error('transient');
        return calls === 2 ? 'handled' : 'duplicate';
      },
    });
    await consumer.ready();
    const publisher = createEventPublisher(broker, testLog, { exchange, confirmTimeoutMs: 5_000 });
    const orderId = randomUUID();
    const event = createEvent(
      'order.placed',
      { orderId, customerId: 'c1', email: 'c1@example.com', lines: [{ sku: 'A', quantity: 1, unitPrice: 100 }], total: 100, currency: 'USD' },
      { eventId: `${orderId}:order.placed`, correlationId: orderId, orderId },
    );
    await publisher.publish(event);
    await eventually(() => expect(calls).toBe(2));
    await publisher.publish(event);
    await eventually(() => expect(calls).toBe(3));

    const handling = lines.filter((line) => line.msg === 'handling');
    expect(handling).toHaveLength(3);
    for (const line of handling) expect(line).toMatchObject({ eventId: event.eventId, orderId, messageId: event.eventId, type: 'order.placed' });
    expect(lines.find((line) => line.msg === 'handler failed; will retry')).toMatchObject({ eventId: event.eventId, orderId, attempt: 1 });

    const labels = { queue, type: 'order.placed' };
    await eventually(async () => {
      expect(await metricValue('ensemble_events_retried_total', labels)).toBe(1);
      expect(await metricValue('ensemble_events_consumed_total', labels)).toBe(1);
      expect(await metricValue('ensemble_inbox_duplicates_total', labels)).toBe(1);
      expect(await metricValue('ensemble_events_dead_lettered_total', labels)).toBe(0);
      expect(await metricValue('ensemble_event_handling_duration_seconds_count', { ...labels, outcome: 'handled' })).toBe(1);
    });
    // Published by a connection named observability-test: the counter's component label.
    expect(await metricValue('ensemble_events_published_total', { component: 'observability-test', type: 'order.placed' })).toBe(2);
    // The queue's lag, read from the broker at scrape time; nothing waits in it now.
    expect(await metricValue('ensemble_consumer_queue_depth', { queue })).toBe(0);

    await consumer.stop();
    await publisher.close();
    // A stopped consumer no longer reports its queue.
    expect((await registry.metrics()).includes(`queue="${queue}"}`)).toBe(false);
  });
});

describe('HTTP metrics', () => {
  it('label each request with its route pattern (mount path included) and status; unknown URLs share one label', async () => {
    const app = express();
    app.use(httpMetrics('observability-test'));
    const items = express.Router();
    items.get('/:id', (req, res) => {
      if (req.params.id === 'broken') throw new Error('boom');
      res.json({ id: req.params.id });
    });
    app.use('/items', items);
    app.use((_req: express.Request, res: express.Response) => void res.status(404).end());
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).end());
    const server = await listen(app, { port: 0, host: '127.0.0.1' });
    try {
      for (const path of ['/items/1', '/items/2', '/items/broken', '/nowhere/1', '/nowhere/2']) await fetch(`${server.url}${path}`);
      const scrape = await fetch(`${server.url}/metrics`);
      expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
      const count = (route: string, status: string) =>
        metricValue('ensemble_http_request_duration_seconds_count', { component: 'observability-test', method: 'GET', route, status });
      expect(await count('/items/:id', '200')).toBe(2);
      // The error left the mounted router before it was answered; the route keeps its mount path.
      expect(await count('/items/:id', '500')).toBe(1);
      expect(await count('unmatched', '404')).toBe(2);
    } finally {
      await server.close();
    }
  });
});
