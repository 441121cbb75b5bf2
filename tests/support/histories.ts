// Workflow histories for replay tests: captured from real end-to-end runs when CAPTURE_HISTORIES names a folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { connectTemporalClient } from '../../platform/temporal/connection.js';
import { orderWorkflowId } from '../../workflows/contract.js';
import type { Stack } from './stack.js';

export const HISTORIES_DIR = 'tests/replay/histories';

/** `npm run histories:capture` sets CAPTURE_HISTORIES; ordinary test runs leave the committed files alone. */
export async function captureHistory(stack: Stack, orderId: string, name: string): Promise<void> {
  const directory = process.env.CAPTURE_HISTORIES;
  if (!directory) return;
  const client = await connectTemporalClient({ address: stack.config.TEMPORAL_ADDRESS, namespace: stack.config.TEMPORAL_NAMESPACE });
  try {
    const history = await client.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
  } finally {
    await client.connection.close();
  }
}
