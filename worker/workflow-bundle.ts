// The order workflows' bundle: what the worker runs, the tests bundle and the histories replay against, and what npm start and the image build ahead of the worker's start.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { failureConverterPath } from '../platform/temporal/data-converter.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Bundled with the workflows (by the worker, the tests and the replayer alike, so histories replay with them). */
export const workflowInterceptorModules = [
  fileURLToPath(new URL('../workflows/interceptors.ts', import.meta.url)),
  fileURLToPath(new URL('./order-outcome-interceptor.ts', import.meta.url)),
];

/** The SDK's webpack run reports every module it packs; a bundle either builds or throws. */
const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never;

/** The workflows with their tracing interceptors and failure converter (failure messages encoded), as the worker runs them. */
export function bundleOrderWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, failureConverterPath, logger: quietLogger });
}

/**
 * Writes the bundle where a worker given WORKER_WORKFLOW_BUNDLE loads it. Webpack grows a process by about 170 MB that
 * it never gives back, so the bundle is built by a process that exits (npm start's, the image build's), not by the
 * worker. Written beside and renamed into place: a worker never loads half a bundle.
 */
export async function writeOrderWorkflowBundle(path: string): Promise<void> {
  const { code } = await bundleOrderWorkflows();
  mkdirSync(dirname(path), { recursive: true });
  const staging = `${path}.${process.pid}.tmp`;
  writeFileSync(staging, code);
  renameSync(staging, path);
}
