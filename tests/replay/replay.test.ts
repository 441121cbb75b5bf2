// Replay: every committed history, of today's workflow code and of each earlier version, still replays on today's code; an incompatible edit is caught.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { CURRENT_HISTORIES, HISTORIES_DIR } from '../support/histories.js';
import { workflowBundle } from '../support/workflow-harness.js';
import { workflowInterceptorModules } from '../../worker/index.js';

const terminalPaths = ['confirmed', 'rejected', 'payment-declined', 'cancelled-out-of-stock', 'cancelled-inventory-timeout', 'cancelled-customer-request'];
/** Paths a workflow version added, recorded by today's code. */
const versionedPaths = ['confirmed-after-slow-inventory'];

/**
 * One folder per workflow version: `current` is what `npm run histories:capture` records from real end-to-end runs;
 * each other folder holds histories recorded before a versioned change (patched()), kept forever because orders
 * started then may still be running.
 */
const versions = readdirSync(HISTORIES_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
const historiesOf = (version: string) => readdirSync(join(HISTORIES_DIR, version)).filter((file) => file.endsWith('.json')).map((file) => file.replace(/\.json$/, ''));
const all = versions.flatMap((version) => historiesOf(version).map((name) => ({ version, name })));
/** The JSON the Temporal CLI and web UI export; the worker converts it to the protobuf history itself. */
const load = (version: string, name: string): unknown => JSON.parse(readFileSync(join(HISTORIES_DIR, version, `${name}.json`), 'utf8'));

describe('workflow replay', () => {
  it("has a history of today's code for every terminal path and every versioned path", () => {
    expect(historiesOf(CURRENT_HISTORIES).sort()).toEqual([...terminalPaths, ...versionedPaths].sort());
  });

  it('keeps the histories of the version before the inventory watchdog, for orders started then', () => {
    expect(historiesOf('before-inventory-watchdog').sort()).toEqual([...terminalPaths].sort());
  });

  // The bundle carries the OpenTelemetry workflow interceptors, as the worker's does: tracing must not change what replays.
  it.each(all)('replays $version/$name without a determinism error', async ({ version, name }) => {
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, load(version, name), name)).resolves.toBeUndefined();
  });

  it('catches a non-deterministic change to the workflow', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./nondeterministic-change/index.ts', import.meta.url)),
      workflowInterceptorModules,
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: changed }, load('before-inventory-watchdog', 'confirmed'), 'confirmed'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
