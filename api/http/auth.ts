// Who is calling the API: bearer JWTs verified with jose (HS256 locally, RS256/ES256 from a JWKS in production), and the guards routes use.
import type { RequestHandler, Response } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ConfigurationError, type Config } from '../../platform/config.js';
import { ForbiddenError, ServiceUnavailableError, UnauthenticatedError } from '../../platform/http/errors.js';

export const roles = ['customer', 'admin'] as const;
export type Role = (typeof roles)[number];

/** The caller, as its token says: `sub` is the customer id (an operator's own id for admins). */
export interface Principal {
  sub: string;
  role: Role;
}

/** Checks a bearer token and says who it names; throws UnauthenticatedError (or 503 when the key set cannot be fetched). */
export type VerifyToken = (token: string) => Promise<Principal>;

export type TokenSettings = Pick<Config, 'JWT_SECRET' | 'JWT_JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_CLOCK_TOLERANCE'>;

// An identity provider signs with asymmetric keys; a shared secret only ever signs HS256. Never `none`, and never an
// HS algorithm with a JWKS (whose public keys would then work as HMAC secrets anyone can read).
const SECRET_ALGORITHMS = ['HS256'];
const JWKS_ALGORITHMS = ['RS256', 'ES256'];

/**
 * The verifier for the configured key source. JWT_JWKS_URL wins when both are set, so a production identity provider
 * is never bypassed by a locally minted token; with neither, the API cannot tell anyone apart and refuses to start.
 */
export function createTokenVerifier(settings: TokenSettings): VerifyToken {
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (settings.JWT_JWKS_URL !== undefined) {
    key = createRemoteJWKSet(new URL(settings.JWT_JWKS_URL));
    algorithms = JWKS_ALGORITHMS;
  } else if (settings.JWT_SECRET !== undefined) {
    key = new TextEncoder().encode(settings.JWT_SECRET);
    algorithms = SECRET_ALGORITHMS;
  } else {
    throw new ConfigurationError([
      { variable: 'JWT_SECRET', message: 'required by the api (or JWT_JWKS_URL): bearer tokens cannot be verified without a key' },
    ]);
  }
  const options = {
    algorithms,
    issuer: settings.JWT_ISSUER,
    audience: settings.JWT_AUDIENCE,
    clockTolerance: settings.JWT_CLOCK_TOLERANCE / 1000,
    // A token that never expires cannot be taken back; every identity provider sets exp.
    requiredClaims: ['sub', 'exp'],
  };

  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      // Two calls because jose types the key argument as one or the other; the options are the same.
      ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
    } catch (error) {
      throw toAuthenticationError(error);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw invalidToken("The token's sub claim must name the customer");
    const role = payload.role;
    if (typeof role !== 'string' || !(roles as readonly string[]).includes(role)) {
      throw invalidToken(`The token's role claim must be one of ${roles.join(', ')}${typeof role === 'string' ? `, not "${role}"` : ''}`);
    }
    return { sub: payload.sub, role: role as Role };
  };
}

const invalidToken = (message: string) => new UnauthenticatedError(message, 'Bearer error="invalid_token"');

/** jose's reasons, told to the client in words that help it fix its token; failing to fetch the keys is ours, not theirs. */
function toAuthenticationError(error: unknown): Error {
  if (error instanceof joseErrors.JWTExpired) return invalidToken('The token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) return invalidToken(`The token's ${error.claim} claim is not accepted: ${error.message}`);
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return invalidToken('The token is signed with an algorithm this API does not accept');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return invalidToken('The token\'s signature is not valid');
  if (error instanceof joseErrors.JWKSNoMatchingKey) return invalidToken('The token is signed with a key the identity provider does not list');
  if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError) || error.code === 'ERR_JOSE_GENERIC') {
    return new ServiceUnavailableError('The identity provider\'s keys cannot be fetched; retry later');
  }
  return invalidToken('The token is malformed');
}

/** The caller of this request, when it sent a valid token. */
export const principalOf = (res: Response): Principal | undefined => res.locals.principal as Principal | undefined;

/**
 * App-level, before every route: a request with a bearer token gets `res.locals.principal`, one with a bad token is
 * refused wherever it goes (a client should learn its token is wrong at once, not on its first protected call), and
 * one without a token goes on: the guards below decide whether its route needs one.
 */
export function authenticate(verify: VerifyToken): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    if (header === undefined) {
      next();
      return;
    }
    const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (token === undefined) {
      next(invalidToken('The Authorization header must be "Bearer <token>"'));
      return;
    }
    verify(token).then(
      (principal) => {
        res.locals.principal = principal;
        next();
      },
      next,
    );
  };
}

const noToken = () => new UnauthenticatedError('This route needs a bearer token: send Authorization: Bearer <JWT>');

/** The caller of a route behind requireAuthenticated or requireRole. */
export function callerOf(res: Response): Principal {
  const principal = principalOf(res);
  if (!principal) throw noToken();
  return principal;
}

/** Any valid token. */
export const requireAuthenticated: RequestHandler = (_req, res, next) => {
  next(principalOf(res) ? undefined : noToken());
};

/** A valid token with this role (401 without a token, 403 with another role). */
export function requireRole(role: Role): RequestHandler {
  return (_req, res, next) => {
    const principal = principalOf(res);
    if (!principal) next(noToken());
    else if (principal.role !== role) next(new ForbiddenError(`This route needs the ${role} role`));
    else next();
  };
}

/** Admins act for anyone; a customer only for themself. */
export const actsFor = (principal: Principal, customerId: string) => principal.role === 'admin' || principal.sub === customerId;
