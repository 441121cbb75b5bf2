// The order's state as both order workflows keep it: how it starts, and how it moves on (status and search attributes in one command).
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { OrderStatusAttribute } from '../platform/temporal/search-attributes.js';
import { OrderStatus, type OrderInput, type OrderState } from './contract.js';

/** An order just received: nothing verified, paid or reserved yet. */
export function receivedOrder(input: OrderInput): OrderState {
  return {
    orderId: input.orderId,
    status: OrderStatus.RECEIVED,
    customerId: input.customerId,
    lines: [],
    total: 0,
    currency: 'USD',
    payment: { status: 'PENDING' },
    inventory: { status: 'PENDING' },
    createdAt: input.createdAt,
    updatedAt: input.createdAt,
  };
}

/** Moves the order on; `alongside` are search attributes that change with this step, upserted in the same command. */
export const orderMover =
  (state: OrderState) =>
  (status: OrderStatus, reason?: string, alongside: SearchAttributeUpdatePair[] = []): void => {
    state.status = status;
    if (reason !== undefined) state.reason = reason;
    state.updatedAt = new Date(Date.now()).toISOString();
    upsertSearchAttributes([...alongside, { key: OrderStatusAttribute, value: status }]);
  };
