// Which orders a caller may see: admins every one, a customer only their own, and someone else's looks exactly like a missing one.
import { NotFoundError } from '../../platform/http/errors.js';
import { actsFor, type Principal } from '../http/auth.js';
import type { OrderAnswer } from './order-reads.js';

/** Reads the order for this caller; throws the same 404 as the reader's for a missing order, so ids reveal nothing. */
export type ReadVisibleOrder = (principal: Principal, orderId: string) => Promise<OrderAnswer>;

export function createOrderAccess(readOrder: (orderId: string) => Promise<OrderAnswer>): ReadVisibleOrder {
  return async (principal, orderId) => {
    const state = await readOrder(orderId);
    if (!actsFor(principal, state.customerId)) throw new NotFoundError(`Order ${orderId} not found`);
    return state;
  };
}
