// `npm run token -- --sub C1 --role customer`: prints one bearer token the local API accepts, for curl and the README's "Try it".
import { parseArgs } from 'node:util';
import { ConfigurationError, loadConfig } from '../platform/config.js';
import { roles, type Role } from '../api/http/auth.js';
import { localSigningSecret, mintDevToken } from './local-servers/dev-tokens.js';

const USAGE = `Usage: npm run token -- --sub <customer id> [--role customer|admin] [--expires 12h]

Prints a bearer token signed with JWT_SECRET (from the environment, else the one npm start generated in
DATA_DIR/local-secrets.json), with the issuer and audience the API checks. Use it as
  curl -H "Authorization: Bearer $(npm run -s token -- --sub cust-1)" localhost:3000/orders
With JWT_JWKS_URL (production) tokens come from your identity provider instead.
Exit codes: 0 printed, 1 no secret or bad configuration, 2 usage.`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseInvocation(args: string[]): { sub: string; role: Role; expiresIn: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { sub: { type: 'string' }, role: { type: 'string', default: 'customer' }, expires: { type: 'string', default: '12h' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) throw new UsageError('');
  if (!values.sub?.trim()) throw new UsageError('--sub is required: the customer id the token speaks for (an operator id for admins)');
  if (!(roles as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${roles.join(', ')}, not "${values.role}"`);
  // jose's time spans: a number and a unit; anything else would only fail later, inside jose, less clearly.
  if (!/^\d+\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks|y|yr|yrs|year|years)$/i.test(values.expires)) {
    throw new UsageError(`--expires must be a time span such as 30m, 12h or 7d, not "${values.expires}"`);
  }
  return { sub: values.sub.trim(), role: values.role as Role, expiresIn: values.expires };
}

async function main(): Promise<void> {
  const claims = parseInvocation(process.argv.slice(2));
  const config = loadConfig();
  if (config.JWT_JWKS_URL) {
    throw new ConfigurationError([{ variable: 'JWT_JWKS_URL', message: 'is set, so the API accepts only your identity provider\'s tokens; get one there' }]);
  }
  const secret = localSigningSecret(config, process.env);
  process.stdout.write(`${await mintDevToken({ secret, JWT_ISSUER: config.JWT_ISSUER, JWT_AUDIENCE: config.JWT_AUDIENCE }, claims)}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message ? `${error.message}\n\n` : ''}${USAGE}\n`);
    process.exit(error.message ? 2 : 0);
  }
  process.stderr.write(`npm run token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
