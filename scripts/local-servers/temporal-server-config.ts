// The Temporal server's configuration file for the production-shaped stack: PostgreSQL for persistence and visibility, several history shards, loopback ports.

/** The four services one server process runs, each with a gRPC and a membership (ringpop) port. */
export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

/**
 * The highest membership port the server can run with: it records each host's membership port in a PostgreSQL SMALLINT
 * (cluster_membership.rpc_port), and dies at start-up on a larger one ("value out of range for type smallint").
 */
export const MAX_MEMBERSHIP_PORT = 32_767;

export interface TemporalServerPorts {
  grpc: Record<TemporalService, number>;
  /** At most MAX_MEMBERSHIP_PORT each. */
  membership: Record<TemporalService, number>;
  /** The frontend's HTTP API. */
  frontendHttp: number;
  /** Prometheus metrics of the server itself. */
  metrics: number;
}

export interface TemporalDatabase {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The default store's database (workflows, history, task queues). */
  database: string;
  /** The visibility store's database (workflow lists and search attributes). */
  visibilityDatabase: string;
}

export interface TemporalServerConfigOptions {
  ports: TemporalServerPorts;
  database: TemporalDatabase;
  /**
   * Fixed for the life of the database: workflows are assigned to shards by hash, so it can never change afterwards.
   * More than one, so the stack shows what a production cluster does (shards owned and moved between history hosts).
   */
  historyShards: number;
  /** @default 'warn' */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

type YamlValue = string | number | boolean | YamlMap;
interface YamlMap {
  [key: string]: YamlValue;
}

/** The server's configuration as data; `toYaml` writes it. Shaped like the release's config/development-postgres12.yaml. */
export function temporalServerConfig(options: TemporalServerConfigOptions): YamlMap {
  const { ports, database } = options;
  if (!Number.isInteger(options.historyShards) || options.historyShards < 1) throw new RangeError(`historyShards must be a positive integer, got ${options.historyShards}`);
  for (const [name, port] of Object.entries(ports.membership)) {
    if (port > MAX_MEMBERSHIP_PORT) throw new RangeError(`the ${name} service's membership port ${port} is above ${MAX_MEMBERSHIP_PORT}, which the server cannot store`);
  }
  const datastore = (databaseName: string, maxConns: number): YamlMap => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${database.host}:${database.port}`,
      connectProtocol: 'tcp',
      user: database.user,
      password: database.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (name: TemporalService): YamlMap => ({
    rpc: {
      grpcPort: ports.grpc[name],
      membershipPort: ports.membership[name],
      bindOnLocalHost: true,
      ...(name === 'frontend' ? { httpPort: ports.frontendHttp } : {}),
    },
  });
  return {
    log: { stdout: true, level: options.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: options.historyShards,
      datastores: {
        'postgres-default': datastore(database.database, 20),
        'postgres-visibility': datastore(database.visibilityDatabase, 10),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${ports.metrics}` } },
    },
    services: Object.fromEntries(TEMPORAL_SERVICES.map((name) => [name, service(name)])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.grpc.frontend}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
  };
}

/**
 * Block-style YAML for maps of scalars, which is all the server's configuration needs: strings double-quoted (JSON's
 * escaping is valid YAML), so no value is ever read as another type. No YAML library is needed at run time.
 */
export function toYaml(value: YamlMap, indent = ''): string {
  return Object.entries(value)
    .map(([key, entry]) => {
      if (!/^[A-Za-z_][\w-]*$/.test(key)) throw new Error(`unexpected key ${JSON.stringify(key)}`);
      if (typeof entry === 'object') return `${indent}${key}:\n${toYaml(entry, `${indent}  `)}`;
      if (typeof entry === 'number' && !Number.isFinite(entry)) throw new Error(`${key} is not a finite number`);
      return `${indent}${key}: ${typeof entry === 'string' ? JSON.stringify(entry) : String(entry)}\n`;
    })
    .join('');
}
