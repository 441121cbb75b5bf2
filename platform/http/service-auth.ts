// The shared service credential: the components' own HTTP surfaces answer only to callers holding SERVICE_TOKEN (the API, the worker, operators).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { requireSetting, type Config } from '../config.js';
import { UnauthenticatedError } from './errors.js';

/** Paths every surface leaves open: probes and Prometheus must not need the credential (bind /metrics privately). */
export const OPEN_SERVICE_PATHS = ['/health', '/ready', '/metrics'];

/** The component's SERVICE_TOKEN, or the start-up fails naming the variable. */
export function serviceTokenOf(config: Config, component: string): string {
  return requireSetting(config, 'SERVICE_TOKEN', `by ${component}: its HTTP surface and its calls to the other components carry it`);
}

/** The header a caller sends to another component's surface. */
export const serviceAuthorization = (token: string) => ({ authorization: `Bearer ${token}` });

// Digests have equal length whatever was sent, so timingSafeEqual can compare them and the time taken says nothing about the token.
const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Mount after the open routes' handlers or anywhere: it lets OPEN_SERVICE_PATHS through and answers 401 to any
 * other request without `Authorization: Bearer <SERVICE_TOKEN>`.
 */
export function requireServiceToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    if (OPEN_SERVICE_PATHS.includes(req.path)) {
      next();
      return;
    }
    const header = req.get('authorization') ?? '';
    const presented = /^Bearer +(.+)$/i.exec(header)?.[1]?.trim();
    if (presented === undefined) {
      next(new UnauthenticatedError('This surface answers only to the platform\'s components: send Authorization: Bearer <SERVICE_TOKEN>'));
      return;
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      next(new UnauthenticatedError('The service credential is not valid', 'Bearer error="invalid_token"'));
      return;
    }
    next();
  };
}
