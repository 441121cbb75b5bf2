// Runs a Temporal dev server (`temporal server start-dev`) with the order search attributes, and waits until it serves.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeDefinitions } from '../../platform/temporal/search-attributes.js';
import { spawnServer, waitUntilReady, type ExitWatch, type ProgressLog } from './server-process.js';

export interface TemporalDevServerOptions {
  cliPath: string;
  port: number;
  uiPort: number;
  /** SQLite file that keeps workflows across restarts; omitted = in memory. */
  dbFile?: string;
  /**
   * The codec server the web UI sends payloads to for decoding (`--ui-codec-endpoint`), e.g. the API's
   * http://127.0.0.1:3000/codec; omitted = the UI shows payloads as stored (encrypted).
   */
  codecEndpoint?: string;
  /** `PRAGMA=VALUE` statements for its SQLite file (`--sqlite-pragma`), e.g. `journal_mode=wal`. */
  sqlitePragmas?: readonly string[];
  /** `KEY=VALUE` dynamic configuration (`--dynamic-config-value`); values are YAML, e.g. `matching.numTaskqueueReadPartitions=1`. */
  dynamicConfig?: readonly string[];
  /** Created at launch in addition to "default". */
  namespace?: string;
  log: ProgressLog;
  /** @default 60_000 */
  readyTimeoutMs?: number;
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
  /** Resolves if the server process ends, whether stopped or crashed. */
  exited: ExitWatch;
}

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const { cliPath, port, uiPort, dbFile, namespace = 'default', log } = options;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort)];
  if (dbFile) {
    await mkdir(dirname(dbFile), { recursive: true });
    args.push('--db-filename', dbFile);
  }
  if (dbFile) for (const pragma of options.sqlitePragmas ?? []) args.push('--sqlite-pragma', pragma);
  for (const value of options.dynamicConfig ?? []) args.push('--dynamic-config-value', value);
  if (namespace !== 'default') args.push('--namespace', namespace);
  if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  for (const definition of searchAttributeDefinitions) args.push('--search-attribute', `${definition.name}=${definition.type}`);
  args.push('--log-level', 'warn');

  const address = `127.0.0.1:${port}`;
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  log.info({ address, uiUrl, persistence: dbFile ?? 'in memory' }, 'starting Temporal dev server');
  const server = spawnServer('temporal', cliPath, args);

  await waitUntilReady(server, `Temporal dev server (${address})`, () => answersNamespace(address, namespace), {
    timeoutMs: options.readyTimeoutMs ?? 60_000,
    intervalMs: 500,
  });
  log.info({ address }, 'Temporal dev server ready');

  return {
    address,
    uiUrl,
    stop: () => server.stop({ signal: 'SIGTERM', graceMs: 10_000 }),
    exited: server.exited,
  };
}

/** Ready means the frontend answers and the namespace exists, not merely that the port is open. */
async function answersNamespace(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    return await connection.withDeadline(Date.now() + 2_000, async () => {
      await connection.workflowService.getSystemInfo({});
      await connection.workflowService.describeNamespace({ namespace });
      return true;
    });
  } finally {
    await connection.close();
  }
}
