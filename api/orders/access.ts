// Which orders a caller may see: admins every one, a customer only their own, and someone else's looks exactly like a missing one.
import { NotFoundError } from '../../platform/http/errors.js';
import type { OrderState } from '../../workflows/contract.js';
import { actsFor, type Principal } from '../http/auth.js';
import type { OrderGateway } from './temporal-gateway.js';

/** Reads the order for this caller; throws the same 404 as the gateway's for a missing order, so ids reveal nothing. */
export type ReadVisibleOrder = (principal: Principal, orderId: string) => Promise<OrderState>;

export function createOrderAccess(orders: Pick<OrderGateway, 'getOrder'>): ReadVisibleOrder {
  return async (principal, orderId) => {
    const state = await orders.getOrder(orderId);
    if (!actsFor(principal, state.customerId)) throw new NotFoundError(`Order ${orderId} not found`);
    return state;
  };
}
