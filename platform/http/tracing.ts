// Tracing at the HTTP edges: a SERVER span around every request an express app serves, a CLIENT span around every call out.
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { RequestHandler } from 'express';
import { componentTracer, extractTraceContext, injectTraceContext, inSpan, SpanKind } from '../observability/tracing.js';
import { maskCardNumbers } from './card-numbers.js';

/**
 * The first middleware of every express app: continues the caller's trace (`traceparent` in the request) in a SERVER
 * span named `METHOD route` once the route is known, and runs the rest of the request inside it.
 */
export function tracingMiddleware(component: string): RequestHandler {
  const tracer = componentTracer(component);
  return (req, res, next) => {
    const parent = extractTraceContext(req.headers);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: maskCardNumbers(req.path) } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    // Body parsing resumes on the socket's events, outside this request's async context; bound emitters keep the span.
    context.bind(active, req);
    context.bind(active, res);
    res.once('close', () => {
      // Express knows the matched route only after routing; `baseUrl` holds a mounted router's prefix.
      const routePath: unknown = (req.route as { path?: unknown } | undefined)?.path;
      if (typeof routePath === 'string') {
        const route = `${req.baseUrl}${routePath}`;
        span.setAttribute(ATTR_HTTP_ROUTE, route);
        span.updateName(`${req.method} ${route}`);
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(active, next);
  };
}

/**
 * `fetch` inside a CLIENT span named `METHOD target` (`target` says what is called without ids in it: a path template
 * like /v1/authorizations/:id/capture, or the service's name), with the span's trace context in the request headers so
 * the server continues the trace. The span ends when the response headers arrive.
 */
export async function tracedFetch(component: string, target: string, url: string, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const server = new URL(url);
  const attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_FULL]: url,
    [ATTR_SERVER_ADDRESS]: server.hostname,
    ...(server.port === '' ? {} : { [ATTR_SERVER_PORT]: Number(server.port) }),
  };
  return inSpan(componentTracer(component), `${method} ${target}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(injectTraceContext())) headers.set(name, value);
    const response = await fetch(url, { ...init, headers });
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
    if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  });
}
