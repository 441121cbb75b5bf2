// Calls from the API to the owner services (inventory, notifications): bounded in time, and any failure on their side is a 503 for our caller.
import { ServiceUnavailableError } from '../../platform/http/errors.js';
import { tracedFetch } from '../../platform/http/tracing.js';
import type { Logger } from '../../platform/logger.js';
import { serviceAuthorization } from '../../platform/http/service-auth.js';

export type UpstreamAnswer = { status: number; body: unknown };

/** Calls an owner service; unreachable, timing out or failing on its side all mean 503 for our caller. */
export type CallUpstream = (service: string, url: string, init?: Omit<RequestInit, 'headers'> & { headers?: Record<string, string> }) => Promise<UpstreamAnswer>;

export function createUpstreamCaller(log: Logger, timeoutMs: number, serviceToken: string): CallUpstream {
  return async (service, url, init = {}) => {
    let response: Response;
    // The owners answer only to the platform's components; the end user's own token never leaves the API.
    const headers = { ...init.headers, ...serviceAuthorization(serviceToken) };
    try {
      response = await tracedFetch('api', service, url, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      log.warn({ err: error, service, url }, 'upstream call failed');
      throw new ServiceUnavailableError(`${service} is not reachable; retry later`);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status >= 500 || body === undefined) {
      log.warn({ service, url, status: response.status }, 'upstream answered with an error');
      throw new ServiceUnavailableError(`${service} could not answer (HTTP ${response.status}); retry later`);
    }
    return { status: response.status, body };
  };
}

/** `base` + `path`, whether or not the configured base URL ends in a slash. */
export const upstreamUrl = (base: string, path: string) => `${base.replace(/\/$/, '')}${path}`;
