// Checks every request passes before any route sees it: bodies are JSON, paths decode, nesting is bounded, and no card number arrives anywhere.
import type { Request, RequestHandler } from 'express';
import { containsCardNumber } from '../../platform/http/card-numbers.js';
import { UnsupportedMediaTypeError, ValidationFailedError } from '../../platform/http/errors.js';

/** The media types the JSON parser reads; the same list is given to express.json. */
export const JSON_MEDIA_TYPES = ['application/json', 'application/*+json'];

/** Our schemas nest three levels deep; anything far deeper is an attempt to make a walker (or a log serializer) work hard. */
export const MAX_BODY_DEPTH = 32;

/** A body of zero bytes is no body (fetch sends `content-length: 0` with a bodyless POST). */
function carriesBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * 415 for a body in any other media type: otherwise it would be silently ignored, and a form or text body would reach
 * a route as "no body" (or, once a console is served, a cross-site form post would be read as a request).
 */
export function requireJsonBody(formPaths: readonly string[] = []): RequestHandler {
  return (req, _res, next) => {
    // An HTML form the API serves itself may post back as a form; nothing else may.
    const formPost = formPaths.includes(req.path) && req.is('application/x-www-form-urlencoded');
    if (carriesBody(req) && !req.is(JSON_MEDIA_TYPES) && !formPost) {
      next(new UnsupportedMediaTypeError('Request bodies must be JSON: send Content-Type: application/json'));
      return;
    }
    next();
  };
}

const cardNumberProblem = (path: string) => ({
  path,
  // Never the value itself: the answer, and any log of it, must not repeat the number.
  message: `${path} must not contain a card number; pay with a payment token (tok_…) instead`,
});

/**
 * Runs before the JSON parser: the path must decode (express's router would throw on %ZZ only for the routes it tries)
 * and must not carry a card number.
 */
export const refuseHostilePath: RequestHandler = (req, _res, next) => {
  for (const segment of req.path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      next(new ValidationFailedError([{ path: 'path', message: 'malformed percent-encoding in the path' }], 'request path'));
      return;
    }
    if (containsCardNumber(decoded)) {
      next(new ValidationFailedError([cardNumberProblem('path')], 'request path'));
      return;
    }
  }
  next();
};

/** Every string of a parsed body or query, keys included, with its dotted path; iterative so depth cannot overflow the stack. */
function findHostileValue(root: unknown, location: 'body' | 'query'): ValidationFailedError | undefined {
  const pending: { value: unknown; path: string[] }[] = [{ value: root, path: [] }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    const where = path.length > 0 ? path.join('.') : location;
    if (typeof value === 'string') {
      if (containsCardNumber(value)) return new ValidationFailedError([cardNumberProblem(where)], `request ${location}`);
    } else if (value !== null && typeof value === 'object') {
      if (path.length >= MAX_BODY_DEPTH) {
        return new ValidationFailedError([{ path: where, message: `nested deeper than ${MAX_BODY_DEPTH} levels` }], `request ${location}`);
      }
      for (const [key, child] of Object.entries(value)) {
        if (containsCardNumber(key)) return new ValidationFailedError([cardNumberProblem(where)], `request ${location}`);
        pending.push({ value: child, path: [...path, key] });
      }
    }
  }
  return undefined;
}

/** Runs after the JSON parser: refuses card numbers in the body, the query and the Idempotency-Key, and over-deep bodies. */
export const refuseHostileValues: RequestHandler = (req, _res, next) => {
  const key = req.get('Idempotency-Key');
  if (key !== undefined && containsCardNumber(key)) {
    next(new ValidationFailedError([cardNumberProblem('Idempotency-Key')], 'request header'));
    return;
  }
  next(findHostileValue(req.query, 'query') ?? findHostileValue(req.body, 'body'));
};
