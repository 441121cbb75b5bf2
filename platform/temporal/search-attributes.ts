// The custom search attributes orders are filtered by in the Temporal web UI and CLI.
import { defineSearchAttributeKey } from '@temporalio/common';

export const OrderStatusAttribute = defineSearchAttributeKey('OrderStatus', 'KEYWORD');
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', 'KEYWORD');
export const OrderTotalAttribute = defineSearchAttributeKey('OrderTotal', 'INT');
/** Set by the inventory watchdog when an order has waited on inventory's outcome longer than INVENTORY_SLOW_AFTER. */
export const InventorySlowAttribute = defineSearchAttributeKey('InventorySlow', 'BOOL');

export const orderSearchAttributes = [OrderStatusAttribute, CustomerIdAttribute, OrderTotalAttribute, InventorySlowAttribute] as const;

/** The keys as the dev server's `--search-attribute` flag and the operator API spell their types. */
const typeNames = { KEYWORD: 'Keyword', INT: 'Int', BOOL: 'Bool' } as const;
export const searchAttributeDefinitions = orderSearchAttributes.map((key) => ({ name: key.name, type: typeNames[key.type] }));
