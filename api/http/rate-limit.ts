// The per-client request budget (express-rate-limit): RATE_LIMIT_PER_MINUTE per token subject, or per address before authentication, then 429.
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { TooManyRequestsError } from '../../platform/http/errors.js';
import type { Logger } from '../../platform/logger.js';

/** Probes that orchestrators call on their own schedule; throttling them would restart a healthy instance. */
const EXEMPT_PATHS = new Set(['/health', '/ready']);

const WINDOW_MS = 60_000;

/**
 * Counted in this process's memory: each API instance keeps its own budget, so N instances allow N times the limit
 * (a shared store would be needed for one global budget).
 */
export function rateLimitPerClient(limitPerMinute: number, log: Logger): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: limitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req) => EXEMPT_PATHS.has(req.path),
    // A token's subject once authentication has run; otherwise the address (an IPv6 client's whole /56, which it controls).
    keyGenerator: (req, res) => {
      const subject = (res.locals as { principal?: { sub?: unknown } }).principal?.sub;
      return typeof subject === 'string' ? `sub:${subject}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    // The library has set Retry-After by now; the answer is ours, in the documented error shape.
    handler: (_req, res, next) => {
      next(new TooManyRequestsError(Number(res.getHeader('Retry-After') ?? WINDOW_MS / 1_000)));
    },
    logger: {
      error: (error, message) => log.error({ err: error }, message ?? 'rate limiter error'),
      warn: (error, message) => log.warn({ err: error }, message ?? 'rate limiter warning'),
    },
  });
}
