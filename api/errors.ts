// The HTTP edge's one error hierarchy and its one error middleware, producing { error: { code, message, details? } }.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import type { Logger } from '../platform/logger.js';

export type ErrorDetail = { [field: string]: unknown };

export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }

  /** The documented body; subclasses add fields inside `error` when the contract says so. */
  toBody(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export type FieldProblem = { path: string; message: string };

export class ValidationFailedError extends ApiError {
  override readonly name = 'ValidationFailedError';
  constructor(problems: FieldProblem[], what = 'request') {
    super(400, 'VALIDATION_FAILED', `Invalid ${what}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  }

  /** Turns zod issues into one problem per field; an unknown field is named by its own path. */
  static fromZod(error: z.ZodError, location: 'body' | 'query' | 'header' | 'path'): ValidationFailedError {
    const problems: FieldProblem[] = [];
    for (const issue of error.issues) {
      const path = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push({ path: [...path, key].join('.'), message: `unknown field "${key}"` });
      } else {
        problems.push({ path: path.length > 0 ? path.join('.') : location, message: issue.message });
      }
    }
    return new ValidationFailedError(problems, location === 'body' ? 'request body' : `request ${location}`);
  }
}

export class NotFoundError extends ApiError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super(404, 'NOT_FOUND', message);
  }
}

export type CartProblem = { sku: string; reason: string };

export class CartInvalidError extends ApiError {
  override readonly name = 'CartInvalidError';
  constructor(
    readonly orderId: string,
    problems: CartProblem[],
  ) {
    super(
      422,
      'CART_INVALID',
      `The cart cannot be ordered: ${problems.map((p) => `${p.sku} ${p.reason}`).join(', ') || 'no valid lines'}`,
      problems.map((p) => ({ sku: p.sku, reason: p.reason })),
    );
  }

  override toBody() {
    const body = super.toBody();
    return { error: { ...body.error, orderId: this.orderId } };
  }
}

export class IdempotencyConflictError extends ApiError {
  override readonly name = 'IdempotencyConflictError';
  constructor() {
    super(409, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body');
  }
}

export class CannotCancelError extends ApiError {
  override readonly name = 'CannotCancelError';
  constructor(orderId: string, why: string) {
    super(409, 'CANNOT_CANCEL', `Order ${orderId} can no longer be cancelled: ${why}`);
  }
}

export class ServiceUnavailableError extends ApiError {
  override readonly name = 'ServiceUnavailableError';
  constructor(message: string) {
    super(503, 'SERVICE_UNAVAILABLE', message);
  }
}

export type ReadinessCheck = { component: string; ok: boolean; error?: string };

export class NotReadyError extends ApiError {
  override readonly name = 'NotReadyError';
  constructor(checks: ReadinessCheck[]) {
    const down = checks.filter((check) => !check.ok).map((check) => check.component);
    super(503, 'NOT_READY', `Not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not reachable`, checks.map((c) => ({ ...c })));
  }
}

export class PayloadTooLargeError extends ApiError {
  override readonly name = 'PayloadTooLargeError';
  constructor(limit: string) {
    super(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${limit}`);
  }
}

/** Unknown routes (and unknown methods on known paths) answer 404 in the documented shape. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`No route for ${req.method} ${req.path}`));
};

/** body-parser marks its own failures with `type`; they are client mistakes, not server errors. */
function fromBodyParser(error: unknown, bodyLimit: string): ApiError | undefined {
  if (!(error instanceof Error) || !('type' in error)) return undefined;
  switch (error.type) {
    case 'entity.parse.failed':
      return new ValidationFailedError([{ path: 'body', message: `malformed JSON: ${error.message}` }], 'request body');
    case 'entity.too.large':
      return new PayloadTooLargeError(bodyLimit);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ValidationFailedError([{ path: 'body', message: error.message }], 'request body');
    default:
      return undefined;
  }
}

/** The one error middleware: known errors keep their status and code; anything else is a 500 without internals. */
export function errorMiddleware(log: Logger, bodyLimit: string): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const apiError = error instanceof ApiError ? error : fromBodyParser(error, bodyLimit);
    if (apiError) {
      if (apiError.status >= 500) log.warn({ err: error, method: req.method, url: req.originalUrl }, apiError.message);
      res.status(apiError.status).json(apiError.toBody());
      return;
    }
    log.error({ err: error, method: req.method, url: req.originalUrl }, 'unhandled error');
    res.status(500).json({ error: { code: 'INTERNAL', message: 'Internal server error' } });
  };
}
