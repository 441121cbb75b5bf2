// The servers the vitest global setup provides to every test file (see global-setup.ts).
export interface Infrastructure {
  temporalAddress: string;
  temporalUiUrl: string;
  amqpUrl: string;
  amqpManagementUrl: string;
  /** Admin URL of a real PostgreSQL server (global setup installs and starts one when DATABASE_URL is not given). */
  postgresUrl: string;
  /** Path to the Temporal CLI binary (dev server), for TestWorkflowEnvironment.createLocal. */
  temporalCliPath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    infrastructure: Infrastructure;
  }
}
