// Replay: every committed history, of today's workflow code and of each earlier version, still replays on today's code; an incompatible edit is caught.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { CURRENT_HISTORIES, HISTORIES_DIR } from '../support/histories.js';
import { testWorkerDataConverter } from '../support/secrets.js';
import { workflowBundle } from '../support/workflow-harness.js';
import { workflowInterceptorModules } from '../../worker/workflow-bundle.js';
import { failureConverterPath } from '../../platform/temporal/data-converter.js';

const terminalPaths = ['confirmed', 'rejected', 'payment-declined', 'cancelled-out-of-stock', 'cancelled-inventory-timeout', 'cancelled-customer-request'];
/** Paths a workflow version added, recorded by today's code. */
const versionedPaths = ['confirmed-after-slow-inventory'];
/** The pure-orchestration yardstick (orchestratedOrderWorkflow), recorded beside today's orderWorkflow. */
const orchestratedPaths = ['orchestrated-confirmed', 'orchestrated-cancelled-out-of-stock', 'orchestrated-payment-declined', 'orchestrated-rejected'];
const isOrchestrated = (name: string) => orchestratedPaths.includes(name);

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

/** Calls `visit` with the encoding and path of every payload (an object with metadata.encoding) in a JSON history. */
function payloadsIn(value: unknown, path: string[], visit: (encoding: string, path: string[]) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) payloadsIn(item, path, visit);
  } else if (value !== null && typeof value === 'object') {
    const encoding = (value as { metadata?: { encoding?: unknown } }).metadata?.encoding;
    if (typeof encoding === 'string') visit(Buffer.from(encoding, 'base64').toString(), path);
    for (const [key, child] of Object.entries(value)) payloadsIn(child, [...path, key], visit);
  }
}

describe('workflow replay', () => {
  it("has a history of today's code for every terminal path and every versioned path", () => {
    expect(historiesOf(CURRENT_HISTORIES).sort()).toEqual([...terminalPaths, ...versionedPaths, ...orchestratedPaths].sort());
  });

  it('keeps the histories of the version before the inventory watchdog, for orders started then', () => {
    expect(historiesOf('before-inventory-watchdog').sort()).toEqual([...terminalPaths].sort());
  });

  it('keeps the histories of the version before the facts for readers (order.rejected, named lines, the address on order.confirmed)', () => {
    expect(historiesOf('before-order-facts').sort()).toEqual([...terminalPaths, ...versionedPaths].sort());
  });

  it('keeps plain histories from before the payload codec, for orders started then', () => {
    expect(historiesOf('before-payload-codec').sort()).toEqual([...terminalPaths, ...versionedPaths].sort());
  });

  it('keeps the histories of the version before the lean order path (cart verification and publishes as regular activities)', () => {
    expect(historiesOf('before-lean-order-path').sort()).toEqual([...terminalPaths, ...versionedPaths].sort());
  });

  it("records today's histories encrypted: every payload but search attributes, trace headers and the SDK's marker data", () => {
    const sdkOwn = ['searchAttributes', 'header', 'patch-data', 'local-activity-data'];
    for (const name of historiesOf(CURRENT_HISTORIES)) {
      const plainWhere = new Set<string>();
      let encrypted = 0;
      payloadsIn(load(CURRENT_HISTORIES, name), [], (encoding, path) => {
        if (encoding === 'binary/encrypted') encrypted += 1;
        else if (path.join('.').endsWith('markerRecordedEventAttributes.details.data.payloads')) plainWhere.add('local-activity-data');
        else plainWhere.add(path.find((key) => sdkOwn.includes(key)) ?? path.join('.'));
      });
      expect(encrypted, name).toBeGreaterThan(0);
      // The server indexes search attributes; headers carry only the trace context; patch markers only the patch id;
      // a local activity's marker data only its type, attempt and times (its result is encrypted).
      expect([...plainWhere].filter((where) => !sdkOwn.includes(where)), name).toEqual([]);
    }
  });

  /** The regular activities' types and the local activities' markers of a history, in order. */
  const stepsOf = (name: string) => {
    const events = (load(CURRENT_HISTORIES, name) as { events: Record<string, Record<string, unknown> | undefined>[] }).events;
    const regular = events.map((event) => (event.activityTaskScheduledEventAttributes?.activityType as { name?: string } | undefined)?.name).filter(Boolean);
    const local = events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    return { regular, local };
  };

  it("runs today's short steps as local activities, but the first publish and payment as regular activities", () => {
    for (const name of historiesOf(CURRENT_HISTORIES).filter((name) => !isOrchestrated(name))) {
      const { regular, local } = stepsOf(name);
      // One publish in its own activity, so the answer to POST /orders never waits for the broker (order.placed or order.rejected).
      expect(regular.filter((type) => !['authorizePayment', 'capturePayment', 'voidPayment'].includes(type!)), name).toEqual(['publishEvent']);
      // verifyCart, then for a cart that passed every later publish (at least the payment's outcome).
      expect(local.length, name).toBeGreaterThanOrEqual(name === 'rejected' ? 1 : 2);
    }
  });

  it('has the yardstick publish nothing: its calls to inventory and notifications are local, but the first notification and payment are regular', () => {
    for (const name of orchestratedPaths) {
      const { regular, local } = stepsOf(name);
      expect(regular, name).not.toContain('publishEvent');
      expect(regular.filter((type) => !['authorizePayment', 'capturePayment', 'voidPayment'].includes(type!)), name).toEqual(name === 'orchestrated-rejected' ? [] : ['notifyCustomer']);
      // verifyCart always; then the reservation, the commit and the last notification as the path has them.
      expect(local.length, name).toBe({ 'orchestrated-confirmed': 4, 'orchestrated-cancelled-out-of-stock': 3, 'orchestrated-payment-declined': 2, 'orchestrated-rejected': 1 }[name]);
    }
  });

  // The bundle carries the OpenTelemetry workflow interceptors and the failure converter, and the replayer the codec, as the
  // worker's do: neither tracing nor encryption may change what replays, and plain histories decode untouched.
  it.each(all)('replays $version/$name without a determinism error', async ({ version, name }) => {
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter: testWorkerDataConverter() }, load(version, name), name),
    ).resolves.toBeUndefined();
  });

  it('catches a non-deterministic change to the workflow', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./nondeterministic-change/index.ts', import.meta.url)),
      workflowInterceptorModules,
      failureConverterPath,
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: changed, dataConverter: testWorkerDataConverter() }, load('before-inventory-watchdog', 'confirmed'), 'confirmed'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
