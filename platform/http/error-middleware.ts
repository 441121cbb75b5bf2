// The last two handlers of every HTTP server: unknown routes answer 404, and every failure leaves in the documented error shape.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { HttpError, InternalServerError, MalformedJsonError, NotFoundError, PayloadTooLargeError, UnauthenticatedError, ValidationFailedError } from './errors.js';

export interface ErrorMiddlewareOptions {
  /** The body size limit the server's JSON parser was given, named in the 413 message. */
  bodyLimit?: string;
  /**
   * How this server spells an error's code. The shared codes are the API contract's; a server imitating an outside
   * service with its own vocabulary (the processor stand-in) renames them here, so one middleware serves both.
   * @default the error's own code
   */
  codeOf?: (error: HttpError) => string;
}

/** Unknown routes (and unknown methods on known paths) answer 404 in the documented shape. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`No route for ${req.method} ${req.path}`));
};

/** body-parser marks its own failures with `type` and a status; they are the client's mistakes, not the server's. */
function fromBodyParser(error: unknown, bodyLimit: string | undefined): HttpError | undefined {
  if (!(error instanceof Error) || !('type' in error)) return undefined;
  switch (error.type) {
    case 'entity.parse.failed':
      return new MalformedJsonError(error.message);
    case 'entity.too.large':
      return new PayloadTooLargeError(bodyLimit);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ValidationFailedError([{ path: 'body', message: error.message }], 'request body');
    default: {
      // Any other body it could not read (aborted, wrong length): still the request's fault when it says 4xx.
      const status = (error as { status?: unknown }).status;
      if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
      return new HttpError(status, 'VALIDATION_FAILED', `Invalid request body: ${error.message}`, [{ path: 'body', message: error.message }]);
    }
  }
}

/** The one error middleware: known errors keep their status and code; anything else is a 500 without internals. */
export function errorMiddleware(log: Logger, options: ErrorMiddlewareOptions = {}): ErrorRequestHandler {
  const codeOf = options.codeOf ?? ((error: HttpError) => error.code);
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    let answer = error instanceof HttpError ? error : fromBodyParser(error, options.bodyLimit);
    if (answer) {
      if (answer.status >= 500) log.warn({ err: error, method: req.method, url: req.originalUrl }, answer.message);
    } else {
      log.error({ err: error, method: req.method, url: req.originalUrl }, 'unhandled error');
      answer = new InternalServerError();
    }
    if (answer instanceof UnauthenticatedError) res.set('WWW-Authenticate', answer.challenge);
    const body = answer.toBody();
    res.status(answer.status).json({ error: { ...body.error, code: codeOf(answer) } });
  };
}
