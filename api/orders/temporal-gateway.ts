// The API's side of the order workflow: one Temporal call per route (start with update, query, cancel update, visibility list).
import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Payload,
} from '@temporalio/common';
import {
  CART_VERIFIED_UPDATE_ID,
  ORDER_WORKFLOW_TYPE,
  OrderFailureType,
  OrderStatus,
  cancelOrderUpdate,
  cartVerifiedUpdate,
  orderIdFromWorkflowId,
  orderStateQuery,
  orderWorkflowId,
  type OrderInput,
  type OrderState,
} from '../../workflows/contract.js';
import { NotFoundError, ServiceUnavailableError, ValidationFailedError } from '../../platform/http/errors.js';
import { CustomerIdAttribute, OrderStatusAttribute, OrderTotalAttribute } from '../../platform/temporal/search-attributes.js';
import { grpcCode, grpcStatus, searchAttributeValue, timestampToIso } from '../../platform/temporal/wire-values.js';
import { CannotCancelError } from '../http/errors.js';

/** How long each kind of call may take before the client is told to retry (503). */
export interface OrderCallTimeouts {
  /** Start + cart verification; generous because a worker may be picking up after a restart. @default 30s */
  placeMs: number;
  /** Query, cancel and list. @default 10s */
  readMs: number;
}

export const defaultOrderCallTimeouts: OrderCallTimeouts = { placeMs: 30_000, readMs: 10_000 };

export interface OrderSummaryData {
  orderId: string;
  status: OrderStatus;
  customerId: string;
  total: number;
  createdAt: string;
}

export interface OrderPage {
  orders: OrderSummaryData[];
  /** Opaque Temporal page token; undefined on the last page. */
  nextPageToken?: Uint8Array;
}

export interface OrderGateway {
  /** Starts the order workflow (or attaches to it) and waits for cart verification. */
  placeOrder(input: OrderInput): Promise<OrderState>;
  getOrder(orderId: string): Promise<OrderState>;
  cancelOrder(orderId: string): Promise<OrderState>;
  listOrders(filter: { customerId?: string; status?: OrderStatus; limit: number; pageToken?: Uint8Array }): Promise<OrderPage>;
}

const orderStatuses = new Set<string>(Object.values(OrderStatus));

/** Visibility queries take string literals; backslash-escaping keeps a customer id from changing the query. */
const literal = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** Failures that mean "Temporal (or a worker) is not answering right now": the client should retry later. */
function unavailable(error: unknown, what: string): ServiceUnavailableError | undefined {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new ServiceUnavailableError(`${what}: the order workflow did not answer in time; retry later`);
  }
  const code = grpcCode(error);
  if (code === grpcStatus.UNAVAILABLE || code === grpcStatus.DEADLINE_EXCEEDED || code === grpcStatus.RESOURCE_EXHAUSTED) {
    return new ServiceUnavailableError(`${what}: Temporal is not reachable; retry later`);
  }
  return undefined;
}

type SearchAttributeValues = { [name: string]: Payload } | null | undefined;
/** As defineSearchAttributeKey makes them (its type is not exported from the package root). */
type SearchAttributeKey<T extends string> = { name: string; type: T };

/**
 * One Keyword or Int search attribute of a listed execution. Visibility answers with payloads; the SDK's own decoder is
 * not exported, but each value is plain JSON (a one-element list on older servers), which the public converter reads.
 */
function searchAttribute(fields: SearchAttributeValues, key: SearchAttributeKey<'KEYWORD'>): string | undefined;
function searchAttribute(fields: SearchAttributeValues, key: SearchAttributeKey<'INT'>): number | undefined;
function searchAttribute(fields: SearchAttributeValues, key: SearchAttributeKey<'KEYWORD' | 'INT'>): string | number | undefined {
  const payload = fields?.[key.name];
  if (!payload) return undefined;
  const value = searchAttributeValue(payload);
  if (key.type === 'INT') return Number.isSafeInteger(value) ? (value as number) : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** One cheap round trip to the Temporal server, bounded by a gRPC deadline. */
export async function pingTemporal(client: Client, timeoutMs: number): Promise<void> {
  await client.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
}

export function createOrderGateway(client: Client, taskQueue: string, timeouts: OrderCallTimeouts = defaultOrderCallTimeouts): OrderGateway {
  const namespace = client.options.namespace;
  const within = <T>(ms: number, call: () => Promise<T>) => client.withDeadline(Date.now() + ms, call);
  const handle = (orderId: string) => client.workflow.getHandle(orderWorkflowId(orderId));

  const getOrder = async (orderId: string): Promise<OrderState> => {
    try {
      return await within(timeouts.readMs, () => handle(orderId).query(orderStateQuery));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new NotFoundError(`Order ${orderId} not found`);
      throw unavailable(error, `Reading order ${orderId}`) ?? error;
    }
  };

  return {
    async placeOrder(input) {
      const workflowId = orderWorkflowId(input.orderId);
      try {
        return await within(timeouts.placeMs, () =>
          client.workflow.executeUpdateWithStart(cartVerifiedUpdate, {
            updateId: CART_VERIFIED_UPDATE_ID,
            startWorkflowOperation: new WithStartWorkflowOperation(ORDER_WORKFLOW_TYPE, {
              workflowId,
              taskQueue,
              args: [input],
              // A retried request (same Idempotency-Key, same order id) attaches to the running workflow and its update...
              workflowIdConflictPolicy: 'USE_EXISTING',
              // ...and never starts a second run of an order that already ended.
              workflowIdReusePolicy: 'REJECT_DUPLICATE',
              // Known at start; status and total are the workflow's to keep current.
              typedSearchAttributes: [{ key: CustomerIdAttribute, value: input.customerId }],
            }),
          }),
        );
      } catch (error) {
        // The order already ended and its update is gone from reach: its final state still answers the retry.
        if (error instanceof WorkflowExecutionAlreadyStartedError) return getOrder(input.orderId);
        throw unavailable(error, 'Placing the order') ?? error;
      }
    },

    getOrder,

    async cancelOrder(orderId) {
      try {
        return await within(timeouts.readMs, () => handle(orderId).executeUpdate(cancelOrderUpdate));
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === OrderFailureType.CannotCancel) {
          throw new CannotCancelError(orderId, error.cause.message);
        }
        if (error instanceof WorkflowNotFoundError) {
          // The server says "not found" both for no such order and for an order whose workflow has completed.
          const state = await getOrder(orderId);
          throw new CannotCancelError(orderId, `order is ${state.status}`);
        }
        throw unavailable(error, `Cancelling order ${orderId}`) ?? error;
      }
    },

    async listOrders({ customerId, status, limit, pageToken }) {
      const clauses = [`WorkflowType = ${literal(ORDER_WORKFLOW_TYPE)}`];
      if (customerId !== undefined) clauses.push(`CustomerId = ${literal(customerId)}`);
      // Orders still in cart verification have no status yet; their POST has not answered, so they are not listed.
      clauses.push(status !== undefined ? `OrderStatus = ${literal(status)}` : 'OrderStatus IS NOT NULL');
      let response;
      try {
        response = await within(timeouts.readMs, () =>
          client.workflowService.listWorkflowExecutions({
            namespace,
            pageSize: limit,
            nextPageToken: pageToken,
            query: clauses.join(' AND '),
          }),
        );
      } catch (error) {
        const code = grpcCode(error);
        // The server cannot tell us more than "bad token" (INVALID_ARGUMENT, or UNKNOWN on the SQL visibility store).
        if (pageToken && (code === grpcStatus.INVALID_ARGUMENT || code === grpcStatus.UNKNOWN)) {
          throw new ValidationFailedError([{ path: 'cursor', message: 'cursor is not valid' }], 'request query');
        }
        throw unavailable(error, 'Listing orders') ?? error;
      }

      const orders: OrderSummaryData[] = [];
      for (const execution of response.executions) {
        const attributes = execution.searchAttributes?.indexedFields;
        const orderStatus = searchAttribute(attributes, OrderStatusAttribute);
        if (orderStatus === undefined || !orderStatuses.has(orderStatus)) continue;
        orders.push({
          orderId: orderIdFromWorkflowId(execution.execution?.workflowId ?? ''),
          status: orderStatus as OrderStatus,
          customerId: searchAttribute(attributes, CustomerIdAttribute) ?? '',
          total: searchAttribute(attributes, OrderTotalAttribute) ?? 0,
          createdAt: timestampToIso(execution.startTime),
        });
      }
      const token = response.nextPageToken;
      return { orders, ...(token && token.length > 0 ? { nextPageToken: token } : {}) };
    },
  };
}
