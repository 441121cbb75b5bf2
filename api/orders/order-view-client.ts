// The API's calls to the order view (the read model): one order, a page of orders; bounded in time, any failure "unreachable".
import { serviceAuthorization } from '../../platform/http/service-auth.js';
import { tracedFetch } from '../../platform/http/tracing.js';
import type { Logger } from '../../platform/logger.js';
import type { OrderStatus } from '../../workflows/contract.js';
import type { Shipment } from './schemas.js';

/** One order as the view answers it. */
export interface ViewedOrder {
  orderId: string;
  status: OrderStatus;
  reason?: string;
  customerId: string;
  lines: { sku: string; name: string; quantity: number; unitPrice: number; lineTotal: number }[];
  total: number;
  currency: string;
  payment: { status: string };
  inventory: { status: string; awaitingSince?: string; slow?: true };
  shipment: Shipment;
  createdAt: string;
  updatedAt: string;
  asOf: string;
}

export interface ViewedOrderPage {
  orders: ViewedOrder[];
  /** The view's own cursor; null on the last page. */
  nextCursor: string | null;
}

/** The view did not answer, or not usefully: the caller answers from elsewhere. */
export class OrderViewUnavailableError extends Error {
  override readonly name = 'OrderViewUnavailableError';
}

export interface OrderViewClient {
  /** Undefined when the view has no such order (yet). */
  getOrder(orderId: string): Promise<ViewedOrder | undefined>;
  listOrders(filter: { customerId?: string; status?: OrderStatus; limit: number; cursor?: string }): Promise<ViewedOrderPage>;
}

export function createOrderViewClient(options: { url: string; serviceToken: string; timeoutMs: number; log: Logger }): OrderViewClient {
  const base = options.url.replace(/\/$/, '');
  const call = async (path: string, allowNotFound: boolean): Promise<unknown> => {
    let response: Response;
    try {
      response = await tracedFetch('api', 'order-view', `${base}${path}`, {
        headers: serviceAuthorization(options.serviceToken),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      options.log.warn({ err: error, path }, 'the order view is not reachable');
      throw new OrderViewUnavailableError('the order view is not reachable');
    }
    if (allowNotFound && response.status === 404) return undefined;
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status !== 200 || body === undefined) {
      options.log.warn({ path, status: response.status }, 'the order view could not answer');
      throw new OrderViewUnavailableError(`the order view could not answer (HTTP ${response.status})`);
    }
    return body;
  };
  return {
    async getOrder(orderId) {
      return (await call(`/orders/${encodeURIComponent(orderId)}`, true)) as ViewedOrder | undefined;
    },
    async listOrders({ customerId, status, limit, cursor }) {
      const query = new URLSearchParams({ limit: String(limit) });
      if (customerId !== undefined) query.set('customerId', customerId);
      if (status !== undefined) query.set('status', status);
      if (cursor !== undefined) query.set('cursor', cursor);
      return (await call(`/orders?${query.toString()}`, false)) as ViewedOrderPage;
    },
  };
}
