// Replay: the committed history of every terminal path still replays on today's workflow code, and an incompatible edit is caught.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { HISTORIES_DIR } from '../support/histories.js';
import { workflowBundle } from '../support/workflow-harness.js';
import { workflowInterceptorModules } from '../../worker/index.js';

const terminalPaths = ['confirmed', 'rejected', 'payment-declined', 'cancelled-out-of-stock', 'cancelled-inventory-timeout', 'cancelled-customer-request'];
const committed = readdirSync(HISTORIES_DIR).filter((file) => file.endsWith('.json')).map((file) => file.replace(/\.json$/, ''));
/** The JSON the Temporal CLI and web UI export; the worker converts it to the protobuf history itself. */
const load = (name: string): unknown => JSON.parse(readFileSync(join(HISTORIES_DIR, `${name}.json`), 'utf8'));

describe('workflow replay', () => {
  it('has a committed history for every terminal path', () => {
    expect(committed.sort()).toEqual([...terminalPaths].sort());
  });

  // The bundle carries the OpenTelemetry workflow interceptors, as the worker's does: tracing must not change what replays.
  it.each(terminalPaths)('replays the %s history without a determinism error', async (name) => {
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, load(name), name)).resolves.toBeUndefined();
  });

  it('catches a non-deterministic change to the workflow', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./nondeterministic-change/index.ts', import.meta.url)),
      workflowInterceptorModules,
    });
    await expect(Worker.runReplayHistory({ workflowBundle: changed }, load('confirmed'), 'confirmed')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
