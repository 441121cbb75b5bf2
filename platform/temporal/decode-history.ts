// Decodes the payloads of a raw workflow history (and a description's pending activities) with a client's codecs, for readers of raw events.
import type { Payload, PayloadCodec } from '@temporalio/common';
import { decode } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import {
  visit,
  walkDescribeWorkflowExecutionResponse,
  walkGetWorkflowExecutionHistoryResponse,
} from '@temporalio/common/lib/internal-non-workflow/payload-visitor.js';
// @temporalio/proto is CommonJS whose named exports Node's ESM loader cannot see; take them from the default export.
import type proto from '@temporalio/proto';

type History = proto.temporal.api.history.v1.IHistory;
type Description = proto.temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse;

/**
 * fetchHistory() and describe().raw hand back payloads as stored, encrypted. The SDK's generated payload visitor
 * (internal, experimental; it is what the SDK itself walks messages with) reaches every payload of every event kind,
 * failures' encoded attributes included, so no event type is forgotten here. Search attributes are left alone: the
 * server indexes them, so they are never encoded.
 */
export async function decodeHistory(history: History, codecs: readonly PayloadCodec[]): Promise<History> {
  await visit({ history }, walkGetWorkflowExecutionHistoryResponse, transforms(codecs));
  return history;
}

export async function decodeDescription(description: Description, codecs: readonly PayloadCodec[]): Promise<Description> {
  await visit(description, walkDescribeWorkflowExecutionResponse, transforms(codecs));
  return description;
}

function transforms(codecs: readonly PayloadCodec[]) {
  return {
    transformPayload: async (payload: Payload) => (await decode([...codecs], [payload]))[0]!,
    transformPayloads: (payloads: Payload[]) => decode([...codecs], payloads),
    skipSearchAttributes: true,
  };
}
