// Makes sure a Temporal CLI is available (installing it into .cache/temporal if needed) and prints its path.
import { pino } from 'pino';
import { locateTemporalCli } from './local-servers/temporal-cli.js';

// Progress goes to stderr so that `$(npx tsx scripts/install-temporal-cli.ts)` captures only the path.
const log = pino({ base: { component: 'install-temporal-cli' } }, pino.destination(2));
try {
  console.log(await locateTemporalCli(log));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
