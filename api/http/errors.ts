// The API contract's own errors, in the shared HttpError family (the generic ones live in platform/http/errors.ts).
import { HttpError } from '../../platform/http/errors.js';

export type CartProblem = { sku: string; reason: string };

/** 422: the order was created and rejected at cart verification; the contract names the order too. */
export class CartInvalidError extends HttpError {
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

export class IdempotencyConflictError extends HttpError {
  override readonly name = 'IdempotencyConflictError';
  constructor() {
    super(409, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body');
  }
}

export class CannotCancelError extends HttpError {
  override readonly name = 'CannotCancelError';
  constructor(orderId: string, why: string) {
    super(409, 'CANNOT_CANCEL', `Order ${orderId} can no longer be cancelled: ${why}`);
  }
}

export type ReadinessCheck = { component: string; ok: boolean; error?: string };

export class NotReadyError extends HttpError {
  override readonly name = 'NotReadyError';
  constructor(checks: ReadinessCheck[]) {
    const down = checks.filter((check) => !check.ok).map((check) => check.component);
    super(503, 'NOT_READY', `Not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not reachable`, checks.map((c) => ({ ...c })));
  }
}
