// Installs the system packages named on the command line (rabbitmq, postgresql, pip, chromium) if missing; .ci/run's way in to the shared installer.
import { ensureSystemPackages, SystemPackagesError, type SystemPackage } from './system-packages/installer.js';
import { chromium, installLogFile, pip, postgresql, rabbitmq } from './system-packages/packages.js';

const known: Record<string, SystemPackage> = { rabbitmq, postgresql, pip, chromium };
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in known));
if (wanted.length === 0 || unknown.length > 0) {
  console.error(`usage: tsx scripts/install-system-packages.ts ${Object.keys(known).join('|')} …${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  process.exit(2);
}
try {
  await ensureSystemPackages(wanted.map((name) => known[name]!), { logFile: installLogFile });
} catch (error) {
  console.error(error instanceof SystemPackagesError ? error.message : error);
  process.exit(1);
}
