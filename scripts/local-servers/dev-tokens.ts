// Bearer tokens for the local stack and tests of it: HS256 with the stack's JWT_SECRET, the claims the API checks (iss, aud, sub, role, exp).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SignJWT } from 'jose';
import { ConfigurationError, type Config } from '../../platform/config.js';
import type { Role } from '../../api/http/auth.js';
import { loadLocalSecrets, localSecretsFile, type LocalSecrets } from './local-secrets.js';
import { repositoryRoot } from './temporal-cli.js';

/** The customer the README's "Try it" orders as; npm start's banner prints a token for it. */
export const DEMO_CUSTOMER_ID = 'cust-1';
/** The operator npm start's admin token names. */
export const DEMO_ADMIN_ID = 'operator';

export interface DevTokenClaims {
  sub: string;
  role: Role;
  /** A jose time span, e.g. `12h`, `30m`. @default '12h' (a working day of local development) */
  expiresIn?: string;
}

export async function mintDevToken(
  settings: { secret: string } & Pick<Config, 'JWT_ISSUER' | 'JWT_AUDIENCE'>,
  claims: DevTokenClaims,
): Promise<string> {
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(settings.JWT_ISSUER)
    .setAudience(settings.JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(settings.secret));
}

/**
 * The local stack's JWT_SECRET: the environment's, else the one npm start generated under DATA_DIR. Never a secret
 * created here, which no running API would know.
 */
export function localSigningSecret(config: Pick<Config, 'DATA_DIR'>, env: NodeJS.ProcessEnv = process.env): string {
  return localStackSecret('JWT_SECRET', config, env);
}

/** One of the local stack's secrets (local-secrets.ts): the environment's, else the generated one; never a new one. */
export function localStackSecret(name: keyof LocalSecrets, config: Pick<Config, 'DATA_DIR'>, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnvironment = env[name];
  if (fromEnvironment) return fromEnvironment;
  const dataDir = resolve(repositoryRoot, config.DATA_DIR === ':memory:' ? '.data' : config.DATA_DIR);
  if (existsSync(localSecretsFile(dataDir))) return loadLocalSecrets(dataDir, env)[name];
  throw new ConfigurationError([
    { variable: name, message: `not set, and ${localSecretsFile(dataDir)} does not exist yet: set ${name}, or run npm start once so it is generated` },
  ]);
}
