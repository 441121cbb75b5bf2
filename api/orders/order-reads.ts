// Where order reads come from: the order view first, the API's own writes when they are further along, Temporal when the view is away.
import { ServiceUnavailableError } from '../../platform/http/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { OrderState, OrderStatus } from '../../workflows/contract.js';
import { OrderViewUnavailableError, type OrderViewClient, type ViewedOrder } from './order-view-client.js';
import { statusProgress, type OrderWrites } from './order-writes.js';
import type { Order, OrderSummary, Shipment } from './schemas.js';
import type { OrderGateway, OrderSummaryData } from './temporal-gateway.js';

export type OrderAnswer = Omit<Order, 'links'>;
export type SummaryAnswer = Omit<OrderSummary, 'links'>;

/** Which store a list page came from: a cursor goes back to the same one. */
export type ListSource = 'view' | 'temporal';

export interface ListPage {
  orders: SummaryAnswer[];
  next?: { source: ListSource; token: Uint8Array };
}

export interface OrderReads {
  readOrder(orderId: string): Promise<OrderAnswer>;
  listOrders(filter: { customerId?: string; status?: OrderStatus; limit: number }, from?: { source: ListSource; token: Uint8Array }): Promise<ListPage>;
}

/** Field by field, so that whatever else the view's answer may carry one day never reaches the API's documented shape. */
const viewedAnswer = (order: ViewedOrder): OrderAnswer => ({
  orderId: order.orderId,
  status: order.status,
  ...(order.reason === undefined ? {} : { reason: order.reason }),
  customerId: order.customerId,
  lines: order.lines.map(({ sku, name, quantity, unitPrice, lineTotal }) => ({ sku, name, quantity, unitPrice, lineTotal })),
  total: order.total,
  currency: order.currency,
  payment: { status: order.payment.status },
  inventory: {
    status: order.inventory.status,
    ...(order.inventory.awaitingSince === undefined ? {} : { awaitingSince: order.inventory.awaitingSince }),
    ...(order.inventory.slow ? { slow: true } : {}),
  },
  shipment: { status: order.shipment.status, carrier: order.shipment.carrier, trackingNumber: order.shipment.trackingNumber },
  createdAt: order.createdAt,
  updatedAt: order.updatedAt,
  asOf: order.asOf,
});

/** The workflow's state as an answer. It does not follow shipping: a confirmed order's shipment is unknown to it. */
function stateAnswer(state: OrderState, shipment?: Shipment): OrderAnswer {
  return {
    orderId: state.orderId,
    status: state.status,
    ...(state.reason === undefined ? {} : { reason: state.reason }),
    customerId: state.customerId,
    lines: state.lines.map(({ sku, name, quantity, unitPrice, lineTotal }) => ({ sku, name, quantity, unitPrice, lineTotal })),
    total: state.total,
    currency: state.currency,
    payment: { status: state.payment.status },
    inventory: {
      status: state.inventory.status,
      ...(state.inventory.awaitingSince === undefined ? {} : { awaitingSince: state.inventory.awaitingSince }),
      ...(state.inventory.slow ? { slow: true } : {}),
    },
    shipment: shipment ?? { status: state.status === 'CONFIRMED' ? 'UNKNOWN' : 'NONE', carrier: null, trackingNumber: null },
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    asOf: state.updatedAt,
  };
}

const viewedSummary = (order: ViewedOrder): SummaryAnswer => ({
  orderId: order.orderId,
  status: order.status,
  customerId: order.customerId,
  total: order.total,
  createdAt: order.createdAt,
  ...(order.reason === undefined ? {} : { reason: order.reason }),
  currency: order.currency,
  inventory: { status: order.inventory.status, ...(order.inventory.slow ? { slow: true } : {}) },
});

const temporalSummary = (order: OrderSummaryData): SummaryAnswer => ({ ...order });

/** The API's own write, when it is further along than what the view says (the view has not applied the event yet). */
const furtherWrite = (viewed: ViewedOrder, written: OrderState | undefined) =>
  written !== undefined && statusProgress(written.status) > statusProgress(viewed.status) ? written : undefined;

export function createOrderReads(options: { view: OrderViewClient; writes: OrderWrites; temporal: Pick<OrderGateway, 'getOrder' | 'listOrders'>; log: Logger }): OrderReads {
  const { view, writes, temporal, log } = options;

  /** The view's answer, or undefined when it has no such order; null when it cannot be reached. */
  const fromView = async <T>(read: () => Promise<T>): Promise<T | null> => {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof OrderViewUnavailableError)) throw error;
      return null;
    }
  };

  return {
    async readOrder(orderId) {
      const [viewed, written] = await Promise.all([fromView(() => view.getOrder(orderId)), writes.find(orderId)]);
      if (viewed) {
        const further = furtherWrite(viewed, written);
        return further ? stateAnswer(further, viewed.shipment) : viewedAnswer(viewed);
      }
      // The view has not seen the order yet: what this API wrote is what its client just did.
      if (viewed === undefined && written) return stateAnswer(written);
      try {
        return stateAnswer(await temporal.getOrder(orderId));
      } catch (error) {
        // Neither the view nor Temporal answers; the API's own write still does.
        if (error instanceof ServiceUnavailableError && written) {
          log.warn({ orderId }, 'order read from the API\'s own write: neither the order view nor Temporal answers');
          return stateAnswer(written);
        }
        throw error;
      }
    },

    async listOrders(filter, from) {
      if (from?.source !== 'temporal') {
        const page = await fromView(() => view.listOrders({ ...filter, ...(from ? { cursor: Buffer.from(from.token).toString('utf8') } : {}) }));
        if (page) {
          const written = await writes.findMany(page.orders.map((order) => order.orderId));
          const orders = page.orders.flatMap((order) => {
            const further = furtherWrite(order, written.get(order.orderId));
            if (!further) return [viewedSummary(order)];
            // The API's write moved the order on (a cancel): shown as it is now, unless that takes it out of the filter.
            if (filter.status !== undefined && further.status !== filter.status) return [];
            return [{ ...viewedSummary(order), status: further.status, ...(further.reason === undefined ? {} : { reason: further.reason }) }];
          });
          return { orders, ...(page.nextCursor === null ? {} : { next: { source: 'view' as const, token: Buffer.from(page.nextCursor, 'utf8') } }) };
        }
        // A page into the view's list cannot go on in Temporal's: its order and positions are the view's own.
        if (from) throw new ServiceUnavailableError('Listing orders: the order view is not reachable; retry later, or start from the first page');
      }
      const page = await temporal.listOrders({ ...filter, ...(from ? { pageToken: from.token } : {}) });
      return { orders: page.orders.map(temporalSummary), ...(page.nextPageToken ? { next: { source: 'temporal' as const, token: page.nextPageToken } } : {}) };
    },
  };
}
