// The HTTP edge's error family, shared by every server: one base class, the generic errors, and the body they answer with.
import { z } from 'zod';

/** One entry of `error.details`, e.g. `{ path, message }` for a field or `{ sku, reason }` for a cart line. */
export type ErrorDetail = { [field: string]: unknown };

/** The documented error body, `{ error: { code, message, details? } }`; the one place that spells it. */
export function errorBody(code: string, message: string, details?: unknown): { error: Record<string, unknown> } {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** What a client may rely on in any error answer of ours (details stay open: each server documents its own). */
export const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** An error a route answers with: its status, a stable code, a message for humans and optional details. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }

  /** The documented body; subclasses add fields inside `error` when their contract says so. */
  toBody(): { error: Record<string, unknown> } {
    return errorBody(this.code, this.message, this.details);
  }
}

export type FieldProblem = { path: string; message: string };

export class ValidationFailedError extends HttpError {
  override readonly name: string = 'ValidationFailedError';
  constructor(problems: FieldProblem[], what = 'request') {
    super(400, 'VALIDATION_FAILED', `Invalid ${what}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  }
}

/** The body is not JSON at all; a validation failure, told apart for servers that name it on its own (the processor stand-in). */
export class MalformedJsonError extends ValidationFailedError {
  override readonly name = 'MalformedJsonError';
  constructor(parserMessage: string) {
    super([{ path: 'body', message: `malformed JSON: ${parserMessage}` }], 'request body');
  }
}

export class NotFoundError extends HttpError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super(404, 'NOT_FOUND', message);
  }
}

/**
 * 401: no credentials, or credentials that do not hold. `challenge` is the `WWW-Authenticate` value the error
 * middleware sends with it (RFC 6750), so clients can tell "send a token" from "your token is bad".
 */
export class UnauthenticatedError extends HttpError {
  override readonly name = 'UnauthenticatedError';
  constructor(
    message: string,
    readonly challenge = 'Bearer',
  ) {
    super(401, 'UNAUTHENTICATED', message);
  }
}

/** 403: who the caller is is known, and they may not do this. */
export class ForbiddenError extends HttpError {
  override readonly name = 'ForbiddenError';
  constructor(message: string) {
    super(403, 'FORBIDDEN', message);
  }
}

export class PayloadTooLargeError extends HttpError {
  override readonly name = 'PayloadTooLargeError';
  constructor(limit?: string) {
    super(413, 'PAYLOAD_TOO_LARGE', limit === undefined ? 'The request body is too large' : `The request body exceeds ${limit}`);
  }
}

/** 415: a body in a media type or Content-Encoding the server does not read; it was not parsed at all. */
export class UnsupportedMediaTypeError extends HttpError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(message: string) {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', message);
  }
}

/** 405: the path exists, the method does not; `allow` lists the methods that do (sent as the Allow header). */
export class MethodNotAllowedError extends HttpError {
  override readonly name = 'MethodNotAllowedError';
  constructor(
    method: string,
    path: string,
    readonly allow: string[],
  ) {
    super(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; allowed: ${allow.join(', ')}`);
  }
}

/** 429: the client spent its request budget; Retry-After says when to come back. */
export class TooManyRequestsError extends HttpError {
  override readonly name = 'TooManyRequestsError';
  constructor(retryAfterSeconds: number) {
    super(429, 'RATE_LIMITED', `Too many requests; retry after ${retryAfterSeconds} s`);
  }
}

/** 409: the request is well formed but the resource's state does not allow it (e.g. committing stock never reserved). */
export class ConflictError extends HttpError {
  override readonly name = 'ConflictError';
  constructor(message: string) {
    super(409, 'CONFLICT', message);
  }
}

export class ServiceUnavailableError extends HttpError {
  override readonly name = 'ServiceUnavailableError';
  constructor(message: string) {
    super(503, 'SERVICE_UNAVAILABLE', message);
  }
}

/** Anything not meant to be answered: a 500 that shows no internals. */
export class InternalServerError extends HttpError {
  override readonly name = 'InternalServerError';
  constructor() {
    super(500, 'INTERNAL', 'Internal server error');
  }
}
