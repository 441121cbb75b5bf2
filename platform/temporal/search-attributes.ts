// The custom search attributes orders are filtered by in the Temporal web UI and CLI.
import { defineSearchAttributeKey } from '@temporalio/common';

export const OrderStatusAttribute = defineSearchAttributeKey('OrderStatus', 'KEYWORD');
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', 'KEYWORD');
export const OrderTotalAttribute = defineSearchAttributeKey('OrderTotal', 'INT');

/** As the dev server's `--search-attribute` flag and the operator API name them. */
export const searchAttributeDefinitions = [
  { name: 'OrderStatus', type: 'Keyword' },
  { name: 'CustomerId', type: 'Keyword' },
  { name: 'OrderTotal', type: 'Int' },
] as const;
