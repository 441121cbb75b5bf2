// The servers the vitest global setup provides to every test file (see global-setup.ts).
export interface Infrastructure {
  temporalAddress: string;
  temporalUiUrl: string;
  amqpUrl: string;
  amqpManagementUrl: string;
  /** Admin URL of a real PostgreSQL server; undefined only where none is installed (CI always has one). */
  postgresUrl?: string;
  /** Path to the Temporal CLI binary (dev server), for TestWorkflowEnvironment.createLocal. */
  temporalCliPath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    infrastructure: Infrastructure;
  }
}
