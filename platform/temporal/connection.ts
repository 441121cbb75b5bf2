// Connects to the Temporal server and makes sure the order search attributes exist in the namespace.
import { Client, Connection } from '@temporalio/client';
// @temporalio/proto is CommonJS whose named exports Node's ESM loader cannot see; take them from the default export.
import proto from '@temporalio/proto';
import { searchAttributeDefinitions } from './search-attributes.js';

const { temporal } = proto;

export interface TemporalSettings {
  address: string;
  namespace: string;
}

export async function connectTemporalClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address });
  return new Client({ connection, namespace: settings.namespace });
}

const indexedValueType = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Bool: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
} as const;

/**
 * Registers the order search attributes (OrderStatus, CustomerId, OrderTotal, InventorySlow) when missing. The dev server started by `npm start` already
 * has them (flags); this covers a server the operator points us at.
 */
export async function ensureSearchAttributes(client: Client): Promise<void> {
  const operator = client.connection.operatorService;
  const existing = await operator.listSearchAttributes({ namespace: client.options.namespace });
  const missing = searchAttributeDefinitions.filter((definition) => !(definition.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await operator.addSearchAttributes({
    namespace: client.options.namespace,
    searchAttributes: Object.fromEntries(missing.map((definition) => [definition.name, indexedValueType[definition.type]])),
  });
}
