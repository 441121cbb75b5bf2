// Connects to the Temporal server and makes sure the order search attributes exist in the namespace.
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
// @temporalio/proto is CommonJS whose named exports Node's ESM loader cannot see; take them from the default export.
import proto from '@temporalio/proto';
import { componentTracer } from '../observability/tracing.js';
import { clientDataConverter } from './data-converter.js';
import type { PayloadKey } from './payload-codec.js';
import { searchAttributeDefinitions } from './search-attributes.js';

const { temporal } = proto;

export interface TemporalSettings {
  address: string;
  namespace: string;
  /** PAYLOAD_KEYS: what the client sends is encrypted with the first, what it reads decrypted with any (payloadKeysOf(config)). */
  payloadKeys: readonly PayloadKey[];
  /**
   * The component using the client, named in its trace spans.
   * @default 'temporal-client'
   */
  component?: string;
}

/**
 * A client whose payloads and failures are encrypted (platform/temporal/data-converter.ts), and whose workflow calls (update-with-start, signal, query, cancel…) each run in a span and carry the active
 * trace context in their Temporal headers, where the worker's workflow interceptors continue the trace.
 */
export async function connectTemporalClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address });
  const tracing = new OpenTelemetryWorkflowClientInterceptor({ tracer: componentTracer(settings.component ?? 'temporal-client') });
  return new Client({
    connection,
    namespace: settings.namespace,
    dataConverter: clientDataConverter(settings.payloadKeys),
    interceptors: { workflow: [tracing] },
  });
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
