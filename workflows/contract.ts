// The order workflow's contract: task queue, workflow id, messages and DTOs. The API imports this, never the workflow code.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { EventData } from '../platform/events/catalog.js';

/** Where order workflows and their activities run, unless TEMPORAL_TASK_QUEUE names another (tests use one each). */
export const ORDER_TASK_QUEUE = 'orders';
/** The task queue a process uses: the configured one, else the contract's. */
export const orderTaskQueue = (config: { TEMPORAL_TASK_QUEUE?: string | undefined }) => config.TEMPORAL_TASK_QUEUE ?? ORDER_TASK_QUEUE;
export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';
/** The same order as pure orchestration (workflows/orchestrated-order-workflow.ts): the bench's yardstick, never started by the API. */
export const ORCHESTRATED_ORDER_WORKFLOW_TYPE = 'orchestratedOrderWorkflow';

/** How long an order waits for inventory's outcome before it is cancelled, unless INVENTORY_TIMEOUT says otherwise. */
export const DEFAULT_INVENTORY_TIMEOUT_MS = 5 * 60_000;
/** When an order waiting on inventory counts as slow (the watchdog), unless INVENTORY_SLOW_AFTER says otherwise. */
export const defaultInventorySlowAfterMs = (deadlineMs: number) => Math.round(deadlineMs / 5);

/**
 * Workflow versions (patched() ids). Each marks a change to the commands the workflow issues; orders started before
 * it replay the old path, and tests/replay holds histories of both.
 */
export const WorkflowPatch = {
  /** Waiting on inventory: a first timer at INVENTORY_SLOW_AFTER flags the order slow, then the rest of the deadline. */
  inventoryWatchdog: 'inventory-watchdog',
  /**
   * Facts readers need, for the order view and shipping: order.placed names its lines and says when the order was
   * accepted, a rejected cart publishes order.rejected, and order.confirmed carries the shipping address.
   */
  orderFactsForReaders: 'order-facts-for-readers',
  /**
   * Fewer commands and round trips per order: cart verification and every publish after the first run as local
   * activities (one MarkerRecorded event each, instead of an activity scheduled, started and completed through the
   * server's task queues), the verified total is upserted with its status in one command (the start already set
   * CustomerId), and the authorization starts beside the publish of order.placed rather than after it.
   */
  leanOrderPath: 'lean-order-path',
} as const;

/** The failure types the workflow and its activities use to say what went wrong; callers match on them. */
export const OrderFailureType = {
  /** The processor declined the card: non-retryable, the order ends PAYMENT_DECLINED. */
  PaymentDeclined: 'PaymentDeclined',
  /** The cancelOrder update's validator refused: the order's fate is already decided. */
  CannotCancel: 'CannotCancel',
} as const;

/** One workflow per order; the id makes starting twice impossible and lookup trivial. */
export const orderWorkflowId = (orderId: string) => `order-${orderId}`;
export const orderIdFromWorkflowId = (workflowId: string) => workflowId.replace(/^order-/, '');
/** Its own prefix, so a yardstick order can never take the id of a real one, nor be listed or read as one. */
export const orchestratedOrderWorkflowId = (orderId: string) => `orchestrated-order-${orderId}`;

export const OrderStatus = {
  /** Accepted by the API; the cart is being verified (never returned by POST /orders). */
  RECEIVED: 'RECEIVED',
  /** Cart checked against the catalog replica; payment not yet authorized. */
  CART_VERIFIED: 'CART_VERIFIED',
  /** Money held; waiting for inventory to reserve the goods. */
  PAYMENT_AUTHORIZED: 'PAYMENT_AUTHORIZED',
  CONFIRMED: 'CONFIRMED',
  REJECTED: 'REJECTED',
  PAYMENT_DECLINED: 'PAYMENT_DECLINED',
  CANCELLED: 'CANCELLED',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const terminalStatuses: readonly OrderStatus[] = ['CONFIRMED', 'REJECTED', 'PAYMENT_DECLINED', 'CANCELLED'];
export const isTerminal = (status: OrderStatus) => terminalStatuses.includes(status);

/** Why an order was cancelled; order.cancelled carries it, so the event catalog owns the values. */
export type CancellationReason = EventData<'order.cancelled'>['reason'];
export type CartIssueReason = 'UNKNOWN_SKU' | 'INACTIVE' | 'INSUFFICIENT_STOCK' | 'QUANTITY_LIMIT' | 'PRICE_CHANGED';

export type PaymentStatus = 'PENDING' | 'AUTHORIZED' | 'DECLINED' | 'CAPTURED' | 'VOIDED';
export type InventoryStatus = 'PENDING' | 'AWAITING' | 'RESERVED' | 'REJECTED' | 'TIMED_OUT' | 'COMMITTED' | 'RELEASED';

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface OrderItem {
  sku: string;
  quantity: number;
}

/** What the API hands the workflow when it starts an order. */
export interface OrderInput {
  orderId: string;
  customerId: string;
  email: string;
  items: OrderItem[];
  /**
   * Sealed by the API (`sealed:v1:<key id>:…`, platform/temporal/payment-token-seal.ts) and opened only by the
   * authorizePayment activity: the workflow passes it on unread. Orders started before sealing carry a plain `tok_…`.
   */
  paymentToken: string;
  shippingAddress: ShippingAddress;
  /** The total the client saw; a different server-computed total rejects the cart with PRICE_CHANGED. */
  expectedTotal?: number;
  /** ISO timestamp of when the API accepted the order. */
  createdAt: string;
  /** How long to wait for inventory's outcome before cancelling (INVENTORY_TIMEOUT); DEFAULT_INVENTORY_TIMEOUT_MS when unset. */
  inventoryTimeoutMs?: number;
  /** After how long waiting on inventory the order is flagged slow (INVENTORY_SLOW_AFTER); a fifth of the deadline when unset. */
  inventorySlowAfterMs?: number;
}

export interface OrderLine {
  sku: string;
  name: string;
  quantity: number;
  /** Minor units (cents). */
  unitPrice: number;
  lineTotal: number;
}

export interface CartIssue {
  sku: string;
  reason: CartIssueReason;
}

export type CartVerification =
  | { valid: true; lines: OrderLine[]; total: number; currency: string }
  | { valid: false; issues: CartIssue[] };

/** The order as the workflow knows it; returned by the `orderState` query and the workflow result. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  /** Why the order ended: a CancellationReason, CART_INVALID, or the processor's decline message. */
  reason?: string;
  customerId: string;
  lines: OrderLine[];
  total: number;
  currency: string;
  payment: { status: PaymentStatus; authorizationId?: string };
  inventory: {
    status: InventoryStatus;
    /** When the order started waiting on inventory's outcome. */
    awaitingSince?: string;
    /** The watchdog's flag: it waited longer than INVENTORY_SLOW_AFTER (set once, kept as a fact of the order's story). */
    slow?: boolean;
  };
  cartIssues?: CartIssue[];
  createdAt: string;
  updatedAt: string;
}

/** What inventory decided, relayed by the order-outcome bridge. `eventId` lets the workflow ignore duplicates. */
export interface InventoryOutcome {
  eventId: string;
  outcome: 'RESERVED' | 'REJECTED';
  reason?: string;
}

/** Completes when the cart has been verified: the early return the API answers POST /orders with. */
export const cartVerifiedUpdate = defineUpdate<OrderState>('cartVerified');
/** Customer cancellation; rejected (validator) once the inventory outcome is in or the order is terminal. */
export const cancelOrderUpdate = defineUpdate<OrderState>('cancelOrder');
export const inventoryOutcomeSignal = defineSignal<[InventoryOutcome]>('inventoryOutcome');
export const orderStateQuery = defineQuery<OrderState>('orderState');

/** The update id used with update-with-start, so a retried POST attaches to the same update. */
export const CART_VERIFIED_UPDATE_ID = 'cart-verified';
