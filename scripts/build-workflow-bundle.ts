// `npm run build:workflows -- [PATH]`: bundles the order workflows ahead of the worker's start (default dist/workflow-bundle.js), for WORKER_WORKFLOW_BUNDLE.
import { resolve } from 'node:path';
import { writeOrderWorkflowBundle } from '../worker/workflow-bundle.js';

const path = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
writeOrderWorkflowBundle(path).then(
  () => process.stdout.write(`${path}\n`),
  (error: unknown) => {
    process.stderr.write(`could not bundle the workflows: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
