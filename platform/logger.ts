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

/**
 * Keys whose values never belong in a log, wherever a line carries them (request headers, bodies, configuration):
 * a backstop, since card numbers themselves are refused at the edge and masked in logged URLs.
 */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'paymentToken',
  '*.paymentToken',
  'cardNumber',
  '*.cardNumber',
  'password',
  '*.password',
];

/** `destination` is for tests that read what was logged; by default lines go to stdout. */
export function createLogger(component: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = { level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime, mixin: traceFields, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
