// The custom search attributes orders are filtered by in the Temporal web UI and CLI.
import { defineSearchAttributeKey } from '@temporalio/common';

export const OrderStatusAttribute = defineSearchAttributeKey('OrderStatus', 'KEYWORD');
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', 'KEYWORD');
export const OrderTotalAttribute = defineSearchAttributeKey('OrderTotal', 'INT');

export const orderSearchAttributes = [OrderStatusAttribute, CustomerIdAttribute, OrderTotalAttribute] as const;

/** The keys as the dev server's `--search-attribute` flag and the operator API spell their types. */
export const searchAttributeDefinitions = orderSearchAttributes.map((key) => ({
  name: key.name,
  type: key.type === 'KEYWORD' ? ('Keyword' as const) : ('Int' as const),
}));
