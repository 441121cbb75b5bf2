// Lint: type-aware TypeScript rules everywhere; workflow code additionally kept deterministic (no Node built-ins, no I/O, no clocks of its own).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'worker_threads', 'timers', 'process', 'events', 'stream', 'dns', 'url', 'util'];

export default tseslint.config(
  { ignores: ['node_modules', '.data', '.cache', 'tests/replay/histories', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // CommonJS modules the Temporal SDK require()s by path (the failure converter): plain JavaScript, outside the TypeScript project.
    files: ['**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', exports: 'writable', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The web console: browser modules served as written, outside the TypeScript project (no build step to check them through).
    files: ['console/**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'sessionStorage', 'fetch', 'atob', 'crypto', 'setTimeout', 'clearTimeout', 'URLSearchParams', 'FormData', 'Intl', 'console']
          .map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // Tests read JSON answers as a client would; typing every response body would only restate the assertions.
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.flatMap((name) => [name, `node:${name}`]).map((name) => ({ name, message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.' })),
        patterns: [
          // Search-attribute keys are plain definitions, safe in the sandbox; everything else from outside is types only.
          { regex: '^\\.\\./(activities|api|catalog-replica|event-handlers|platform/(?!temporal/search-attributes))', allowTypeImports: true, message: 'Workflows import activity and platform types only.' },
          { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'pg', 'amqplib', 'amqp-connection-manager', 'express', '@electric-sql/*'], message: 'Not available in the workflow sandbox.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'fetch', message: 'I/O belongs in an activity.' },
        { name: 'process', message: 'Workflow code must not read the environment.' },
      ],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use uuid4() from @temporalio/workflow or pass values in.' }],
    },
  },
);
