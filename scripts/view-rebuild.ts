// `npm run view:rebuild`: asks the running order view to rebuild itself from its history stream, and says what it rebuilt.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigurationError, loadConfig } from '../platform/config.js';
import { serviceAuthorization } from '../platform/http/service-auth.js';
import { localSecretsFile } from './local-servers/local-secrets.js';

/**
 * The rebuild runs inside the order view, where its store is: an embedded store (PGlite) has no other way in, and the
 * live consumer and the rebuild then share one lock. This only asks for it, with the service credential.
 */
function serviceToken(config: ReturnType<typeof loadConfig>): string {
  if (config.SERVICE_TOKEN) return config.SERVICE_TOKEN;
  const file = localSecretsFile(resolve(config.DATA_DIR === ':memory:' ? '.data' : config.DATA_DIR));
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { SERVICE_TOKEN?: string }) : {};
  if (stored.SERVICE_TOKEN) return stored.SERVICE_TOKEN;
  throw new ConfigurationError([{ variable: 'SERVICE_TOKEN', message: `required to call the order view (npm start keeps one in ${file})` }]);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const url = `${config.ORDER_VIEW_URL.replace(/\/$/, '')}/rebuild`;
  process.stdout.write(`rebuilding the order view at ${config.ORDER_VIEW_URL} from its history stream…\n`);
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: serviceAuthorization(serviceToken(config)) });
  } catch (error) {
    throw new Error(`the order view at ${config.ORDER_VIEW_URL} is not reachable (${error instanceof Error ? error.message : String(error)}); is it running? ORDER_VIEW_URL says where`);
  }
  const body = (await response.json().catch(() => undefined)) as { replayed?: number; orders?: number; error?: { message?: string } } | undefined;
  if (response.status !== 200) throw new Error(`the order view refused the rebuild (HTTP ${response.status}): ${body?.error?.message ?? 'no reason given'}`);
  process.stdout.write(`rebuilt: ${body?.replayed} events replayed, ${body?.orders} orders in the view\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
