// The production-shaped stack's test (`npm run test:cluster`): it starts `npm run start:cluster`, which builds the Temporal server once (~6 min).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/cluster/**/*.test.ts'],
    // No global setup: the stack brings its own PostgreSQL, Temporal server and RabbitMQ cluster.
    testTimeout: 300_000,
    hookTimeout: 20 * 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
