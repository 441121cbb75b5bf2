// Structured logging (pino): one root logger per process, a child per component; JSON lines, with the active trace on each.
import { trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** The active OpenTelemetry span's ids, so a log line can be found from its trace and the other way round. */
export function traceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  // A non-recording placeholder span has all-zero ids: nothing to correlate with.
  if (!trace.isSpanContextValid({ traceId, spanId, traceFlags })) return {};
  return { traceId, spanId };
}

/** `destination` is for tests that read what was logged; by default lines go to stdout. */
export function createLogger(component: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = { level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime, mixin: traceFields };
  return destination ? pino(options, destination) : pino(options);
}
