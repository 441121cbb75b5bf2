// A test-only stand-in for orderWorkflow that speaks the contract (query and updates), so the API's HTTP edge can be tested alone.
import { ApplicationFailure, condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import {
  cancelOrderUpdate,
  cartVerifiedUpdate,
  isTerminal,
  OrderFailureType,
  orderStateQuery,
  type CartIssue,
  type OrderInput,
  type OrderState,
} from '../../workflows/contract.js';
import { OrderStatusAttribute, OrderTotalAttribute } from '../../platform/temporal/search-attributes.js';

/** Every unit costs this in the stand-in's catalog; skus starting with UNKNOWN do not exist. */
export const TEST_UNIT_PRICE = 250;
// The script rides on the email: the payment token reaches workflows sealed (platform/temporal/payment-token-seal.ts).
/** With this email the order confirms at once and the workflow completes (a terminal, closed order). */
export const EMAIL_CONFIRM_AND_CLOSE = 'confirm-and-close@example.test';
/** With this email the order confirms but the workflow stays open (the validator must refuse cancellation). */
export const EMAIL_CONFIRM_AND_WAIT = 'confirm-and-wait@example.test';

export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  // Workflow time is deterministic (replayed from history), so Date is safe here.
  const now = () => new Date().toISOString();
  let state: OrderState = {
    orderId: input.orderId,
    status: 'CART_VERIFIED',
    customerId: input.customerId,
    lines: [],
    total: 0,
    currency: 'EUR',
    payment: { status: 'PENDING' },
    inventory: { status: 'PENDING' },
    createdAt: input.createdAt,
    updatedAt: now(),
  };
  let verified = false;
  let cancelled = false;

  setHandler(orderStateQuery, () => state);
  setHandler(cartVerifiedUpdate, async () => {
    await condition(() => verified);
    return state;
  });
  setHandler(
    cancelOrderUpdate,
    () => {
      cancelled = true;
      state = { ...state, status: 'CANCELLED', reason: 'CUSTOMER_REQUEST', updatedAt: now() };
      return state;
    },
    {
      validator: () => {
        if (isTerminal(state.status)) {
          throw ApplicationFailure.create({ type: OrderFailureType.CannotCancel, message: `order is ${state.status}`, nonRetryable: true });
        }
      },
    },
  );

  const issues: CartIssue[] = input.items
    .filter((item) => item.sku.startsWith('UNKNOWN'))
    .map((item) => ({ sku: item.sku, reason: 'UNKNOWN_SKU' as const }));
  const lines = input.items.map((item) => ({
    sku: item.sku,
    name: `Product ${item.sku}`,
    quantity: item.quantity,
    unitPrice: TEST_UNIT_PRICE,
    lineTotal: TEST_UNIT_PRICE * item.quantity,
  }));
  const total = lines.reduce((sum, line) => sum + line.lineTotal, 0);
  if (issues.length === 0 && input.expectedTotal !== undefined && input.expectedTotal !== total) {
    issues.push(...input.items.map((item) => ({ sku: item.sku, reason: 'PRICE_CHANGED' as const })));
  }
  state = issues.length > 0
    ? { ...state, status: 'REJECTED', reason: 'CART_INVALID', cartIssues: issues }
    : { ...state, status: 'CART_VERIFIED', lines, total };
  upsertSearchAttributes([
    { key: OrderStatusAttribute, value: state.status },
    { key: OrderTotalAttribute, value: state.total },
  ]);
  verified = true;
  if (state.status === 'REJECTED') return state;

  if (input.email === EMAIL_CONFIRM_AND_CLOSE || input.email === EMAIL_CONFIRM_AND_WAIT) {
    state = { ...state, status: 'CONFIRMED', payment: { status: 'CAPTURED' }, inventory: { status: 'COMMITTED' } };
    upsertSearchAttributes([{ key: OrderStatusAttribute, value: 'CONFIRMED' }]);
    if (input.email === EMAIL_CONFIRM_AND_CLOSE) return state;
  }
  // Open orders end on their own so test runs never leave workflows running on a shared server.
  await condition(() => cancelled, '30 seconds');
  if (cancelled) upsertSearchAttributes([{ key: OrderStatusAttribute, value: 'CANCELLED' }]);
  return state;
}
