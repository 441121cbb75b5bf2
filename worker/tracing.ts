// The worker's part of the order's trace: activity spans continue the workflow's, and workflow spans leave the sandbox through a sink.
import { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetryWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { activeTracing, COMPONENT_ATTRIBUTE, componentTracer } from '../platform/observability/tracing.js';

const WORKER_COMPONENT = 'worker';

/** Activity spans continue the workflow's trace from the activity's headers; log lines carry the trace id. */
export const activityTracing: NonNullable<WorkerOptions['interceptors']>['activity'] = [
  (ctx) => ({
    inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: componentTracer(WORKER_COMPONENT) }),
    outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
  }),
];

/**
 * Workflow spans are made in the sandbox and handed out through this sink (never during replay) to the process's
 * span processors, marked as the worker's. Without tracing started they are dropped.
 */
export function workflowSpanSinks(): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> {
  const tracing = activeTracing();
  const toWorker: SpanProcessor = {
    onStart: () => undefined,
    onEnd(span: ReadableSpan) {
      (span.attributes as Record<string, unknown>)[COMPONENT_ATTRIBUTE] = WORKER_COMPONENT;
      tracing?.spanProcessor.onEnd(span);
    },
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  return { exporter: makeWorkflowExporter(toWorker, tracing?.resource ?? Resource.empty()) };
}
