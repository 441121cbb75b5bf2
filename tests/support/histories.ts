// Workflow histories for replay tests: captured from real end-to-end runs when CAPTURE_HISTORIES names a folder.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { orderWorkflowId } from '../../workflows/contract.js';
import type { Stack } from './stack.js';

export const HISTORIES_DIR = 'tests/replay/histories';
/** Histories recorded by today's workflow code; `npm run histories:capture` rewrites this folder only. */
export const CURRENT_HISTORIES = 'current';

/**
 * `npm run histories:capture` sets CAPTURE_HISTORIES; ordinary test runs leave the committed files alone.
 * The CLI writes the same JSON the Temporal web UI downloads, so a history from production can be dropped in too.
 */
export async function captureHistory(stack: Stack, orderId: string, name: string, workflowId = orderWorkflowId(orderId)): Promise<void> {
  const directory = process.env.CAPTURE_HISTORIES;
  if (!directory) return;
  const { stdout } = await promisify(execFile)(inject('infrastructure').temporalCliPath, [
    'workflow', 'show',
    '--workflow-id', workflowId,
    '--address', stack.config.TEMPORAL_ADDRESS,
    '--namespace', stack.config.TEMPORAL_NAMESPACE,
    '--output', 'json',
  ], { maxBuffer: 64 * 1024 * 1024 });
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, `${name}.json`), `${JSON.stringify(JSON.parse(stdout), null, 2)}\n`);
}
