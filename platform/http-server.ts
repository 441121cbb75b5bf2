// Small helpers shared by the HTTP servers of every component: their URL, and the error shape of the internal surfaces.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import type { Logger } from './logger.js';

/** The URL a local client reaches a listening server at (a wildcard bind address is reached through loopback). */
export function serverUrl(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** An error an internal HTTP surface answers with, in the shared `{ error: { code, message, details? } }` shape. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** zod issues as the contract's details: one entry per field, unknown fields named one by one. */
export function validationFailed(error: z.ZodError, prefix: string[] = [], message = 'the request is not valid'): HttpError {
  const details = error.issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'unknown field' }));
    return [{ path: path.join('.'), message: issue.message }];
  });
  return new HttpError(400, 'VALIDATION_FAILED', message, details);
}

/** Parses a request part or throws the 400 that names each bad field. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, prefix: string[] = [], message?: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(result.error, prefix, message);
  return result.data;
}

/** The last two handlers of an internal surface: unknown routes are 404, failures keep the shared error shape. */
export function errorHandlers(log: Logger): [RequestHandler, ErrorRequestHandler] {
  const unknownRoute: RequestHandler = (req, _res, next) => next(new HttpError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`));
  const errors: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    if (error instanceof HttpError) {
      res.status(error.status).json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } });
      return;
    }
    // body-parser marks malformed bodies with a 4xx status; they are the client's mistake, not ours.
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: { code: 'VALIDATION_FAILED', message: (error as Error).message } });
      return;
    }
    log.error({ err: error }, 'request failed');
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  };
  return [unknownRoute, errors];
}
