// Builds the worker's workflow bundle in a child process while a local stack's servers boot, so webpack's memory leaves with it.
import { spawn } from 'node:child_process';
import { repositoryRoot } from './temporal-cli.js';

export interface WorkflowBundleBuild {
  /** The bundle's path once written; rejects with the bundler's own words. */
  ready: Promise<string>;
  /** Stops a build still running (the stack is stopping). */
  cancel(): void;
}

export function buildWorkflowBundle(path: string): WorkflowBundleBuild {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/build-workflow-bundle.ts', path], { cwd: repositoryRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const ready = new Promise<string>((resolveBuild, rejectBuild) => {
    child.once('error', rejectBuild);
    child.once('close', (code, signal) => {
      if (code === 0) resolveBuild(path);
      else rejectBuild(new Error(errors.trim() || `the workflow bundler exited (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
  // Whoever awaits it handles a failure; one before anyone does must not end the supervisor as an unhandled rejection.
  ready.catch(() => undefined);
  return { ready, cancel: () => void child.kill('SIGTERM') };
}
