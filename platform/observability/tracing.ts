// OpenTelemetry tracing for every component: one provider per process, W3C trace context on every hop, OTLP export when configured.
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Stoppable } from '../lifecycle.js';

export { SpanKind };

/** The attribute naming which component made a span: all components share one process in tests and `ensemble.component` tells them apart. */
export const COMPONENT_ATTRIBUTE = 'ensemble.component';

/** Attribute names used on the messaging spans (the OpenTelemetry messaging conventions are still incubating). */
export const MessagingAttribute = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  operation: 'messaging.operation.type',
  messageId: 'messaging.message.id',
  attempt: 'ensemble.attempt',
  orderId: 'ensemble.order_id',
} as const;

/** A W3C trace context as it travels in message headers and outbox rows: `traceparent` and, when present, `tracestate`. */
export type TraceCarrier = Record<string, string>;

export interface TracingOptions {
  /** `service.name` of everything this process exports. */
  serviceName: string;
  /**
   * Base URL of an OTLP/HTTP collector (e.g. http://jaeger:4318); spans go to `<endpoint>/v1/traces`.
   * @default none: spans are made and context propagated (trace ids exist for logs and the timeline), nothing is exported
   */
  otlpEndpoint?: string;
}

export interface Tracing extends Stoppable {
  readonly serviceName: string;
  readonly resource: Resource;
  /** Every finished span, local or from workflow sandboxes (the worker's sinks hand theirs here). */
  readonly spanProcessor: SpanProcessor;
  /** Sends finished spans to `processor` too (a test's in-memory exporter); returns a function that removes it. */
  addSpanProcessor(processor: SpanProcessor): () => void;
  /** A component that stops the given one, then flushes and stops tracing: what a process's main returns to runMain. */
  alongside(component: Stoppable): Stoppable;
}

/** Fans finished spans out to a list that can grow after start-up; with an empty list a span costs nothing on end. */
class SpanProcessors implements SpanProcessor {
  readonly list: SpanProcessor[] = [];
  onStart(...args: Parameters<SpanProcessor['onStart']>): void {
    for (const processor of this.list) processor.onStart(...args);
  }
  onEnd(span: ReadableSpan): void {
    for (const processor of this.list) processor.onEnd(span);
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.list.map((processor) => processor.forceFlush()));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.list.map((processor) => processor.shutdown()));
  }
}

let started: Tracing | undefined;

/**
 * Starts tracing for this process; the first call wins and later ones return the same instance (tests start every
 * component in one process). Every span is sampled: a trace id exists for every request, message and workflow even
 * when nothing is exported, and the cost of a span without a processor is a few object allocations.
 */
export function startTracing(options: TracingOptions): Tracing {
  if (started) return started;
  const resource = Resource.default().merge(new Resource({ [ATTR_SERVICE_NAME]: options.serviceName }));
  const processors = new SpanProcessors();
  if (options.otlpEndpoint !== undefined) {
    const url = `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
    // Batched: exporting never sits on the path of an order.
    processors.list.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processors] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= provider.shutdown());
  started = {
    serviceName: options.serviceName,
    resource,
    spanProcessor: processors,
    addSpanProcessor(processor) {
      processors.list.push(processor);
      return () => {
        const index = processors.list.indexOf(processor);
        if (index >= 0) processors.list.splice(index, 1);
      };
    },
    alongside: (component) => ({
      async stop() {
        try {
          await component.stop();
        } finally {
          await stop();
        }
      },
    }),
    stop,
  };
  return started;
}

/** The tracing started in this process, if any (the worker hands workflow spans to its processor). */
export function activeTracing(): Tracing | undefined {
  return started;
}

/**
 * A component's tracer: its name is the instrumentation scope and every span it starts carries `ensemble.component`,
 * so spans say who made them even when every component runs in one process.
 */
export function componentTracer(component: string): Tracer {
  let tracer = tracers.get(component);
  if (!tracer) tracers.set(component, (tracer = makeComponentTracer(component)));
  return tracer;
}

const tracers = new Map<string, Tracer>();

function makeComponentTracer(component: string): Tracer {
  const inner = trace.getTracer(`ensemble.${component}`);
  const withComponent = (options: SpanOptions = {}): SpanOptions => ({
    ...options,
    attributes: { [COMPONENT_ATTRIBUTE]: component, ...options.attributes },
  });
  const startSpan = (name: string, options?: SpanOptions, parent?: Context) => inner.startSpan(name, withComponent(options), parent);
  return {
    startSpan,
    startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
      const fn = args[args.length - 1] as F;
      const options = args.length > 1 ? (args[0] as SpanOptions) : undefined;
      const parent = args.length > 2 ? (args[1] as Context) : context.active();
      const span = startSpan(name, options, parent);
      return context.with(trace.setSpan(parent, span), () => fn(span)) as ReturnType<F>;
    },
  };
}

/**
 * Runs `work` inside a new active span that ends when the work settles; a failure marks the span as an error and is
 * rethrown. `parent` defaults to the active context.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions & { parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const { parent = context.active(), ...spanOptions } = options;
  return tracer.startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Records an error on a span and marks its status. */
export function markFailed(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  if (error instanceof Error) span.recordException(error);
}

/** The active context as a W3C carrier (`traceparent`, `tracestate`); empty when there is no active span. */
export function injectTraceContext(into: TraceCarrier = {}, from: Context = context.active()): TraceCarrier {
  propagation.inject(from, into);
  return into;
}

/**
 * The context a W3C carrier describes (incoming HTTP headers, AMQP headers, an outbox row), on top of the root
 * context: what arrives from elsewhere is the parent, never whatever happens to be active here.
 */
export function extractTraceContext(carrier: Record<string, unknown> | undefined | null): Context {
  if (!carrier) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier, {
    keys: (headers) => Object.keys(headers),
    get: (headers, key) => {
      const value = headers[key];
      if (typeof value === 'string') return value;
      if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
      // amqplib hands string headers back as Buffers when another client wrote them as byte arrays.
      if (Buffer.isBuffer(value)) return value.toString('utf8');
      return undefined;
    },
  });
}

/** The trace id of the active span, for logs and the order timeline; undefined outside any trace. */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** Attributes of a span about one order's event. */
export function eventAttributes(event: { eventId: string; orderId?: string }, extra: Attributes = {}): Attributes {
  return {
    [MessagingAttribute.system]: 'rabbitmq',
    [MessagingAttribute.messageId]: event.eventId,
    ...(event.orderId === undefined ? {} : { [MessagingAttribute.orderId]: event.orderId }),
    ...extra,
  };
}
