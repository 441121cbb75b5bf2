// Bearer tokens for the local stack and tests of it: HS256 with the stack's JWT_SECRET, the claims the API checks (iss, aud, sub, role, exp).
import { SignJWT } from 'jose';
import type { Config } from '../../platform/config.js';
import type { Role } from '../../api/http/auth.js';

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
