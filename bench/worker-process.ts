// Runs the bench worker as a process of its own, so its CPU and memory are measured apart from the bench's load loop.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repositoryRoot } from '../scripts/local-servers/temporal-cli.js';
import { BENCH_WORKER_READY } from './worker/contract.js';

export interface BenchWorkerProcess {
  pid: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000;

export async function startBenchWorker(settings: { temporalAddress: string; amqpUrl: string; taskQueue: string; exchange: string }): Promise<BenchWorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/worker/main.ts'], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: settings.temporalAddress,
      AMQP_URL: settings.amqpUrl,
      BENCH_TASK_QUEUE: settings.taskQueue,
      BENCH_EXCHANGE: settings.exchange,
      // The bench waits for its ready line, an info line; a LOG_LEVEL in the bench's environment is meant for the stack.
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bench worker was not ready within ${READY_TIMEOUT_MS / 1000}s`)), READY_TIMEOUT_MS);
    void exited.then(() => reject(new Error('the bench worker exited before it was ready')));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (output.length > 100) output.shift();
        if (line.includes(BENCH_WORKER_READY)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await ready;
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nits last output:\n${output.slice(-30).join('\n')}`);
  }
  return { pid: child.pid!, stop };
}
