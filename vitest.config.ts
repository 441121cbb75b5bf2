// Test runner configuration: the global setup starts real Temporal, RabbitMQ and PostgreSQL servers once for the whole run.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The fault suite kills processes and restarts brokers; it has its own command (npm run test:faults). The cluster
    // stack's test builds a Temporal server on a fresh machine; it has its own too (npm run test:cluster).
    exclude: ['tests/faults/**', 'tests/cluster/**', 'node_modules/**'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // The servers are shared; files run one at a time so they never starve each other on a two-core machine.
    fileParallelism: false,
  },
});
