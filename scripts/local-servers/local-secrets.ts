// The local stack's secrets: generated once under the data folder (never committed), so tokens and encrypted histories survive restarts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface LocalSecrets {
  JWT_SECRET: string;
  SERVICE_TOKEN: string;
  /** One key to start with; a rotation adds a new key in front and keeps the old ones for decoding. */
  PAYLOAD_KEYS: string;
}

const secretNames = ['JWT_SECRET', 'SERVICE_TOKEN', 'PAYLOAD_KEYS'] as const;

export function localSecretsFile(dataDir: string): string {
  return join(dataDir, 'local-secrets.json');
}

function generate(): LocalSecrets {
  return {
    JWT_SECRET: randomBytes(32).toString('base64url'),
    SERVICE_TOKEN: randomBytes(32).toString('base64url'),
    PAYLOAD_KEYS: `local-1:${randomBytes(32).toString('base64')}`,
  };
}

/**
 * Reads the data folder's secrets, creating the file (readable by its owner only) on the first start. A secret set in the
 * environment wins over the file, so an operator can bring their own.
 */
export function loadLocalSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): LocalSecrets {
  const file = localSecretsFile(dataDir);
  let stored: Partial<LocalSecrets> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
  const missing = secretNames.filter((name) => typeof stored[name] !== 'string');
  if (missing.length > 0) {
    const fresh = generate();
    stored = { ...stored, ...Object.fromEntries(missing.map((name) => [name, fresh[name]])) };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  const secrets = stored as LocalSecrets;
  return Object.fromEntries(secretNames.map((name) => [name, env[name] || secrets[name]])) as unknown as LocalSecrets;
}
