// The last two handlers of every HTTP server: unknown routes answer 404, and every failure leaves in the documented error shape.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { maskCardNumbers } from './card-numbers.js';
import {
  HttpError,
  InternalServerError,
  MalformedJsonError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from './errors.js';

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

/** Unknown routes answer 404 in the documented shape (the path is cut short: it is the client's text, echoed back). */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  const path = req.path.length > 200 ? `${req.path.slice(0, 200)}…` : req.path;
  next(new NotFoundError(`No route for ${req.method} ${path}`));
};

/**
 * JSON.parse's messages may quote the body (`Unexpected token 'x', "{"card": …" is not valid JSON`), and an answer or a
 * log line must never repeat what the client sent: only the position is kept.
 */
function malformedJsonProblem(parserMessage: string): string {
  const position = /position (\d+)/.exec(parserMessage)?.[1];
  return position === undefined ? 'not valid JSON' : `not valid JSON at position ${position}`;
}

/**
 * The status http-errors (body-parser, the router) put on what they could not read of a request; they mark it `expose`,
 * which tells it from a library error that merely carries a status.
 */
function clientErrorStatus(error: Error): number | undefined {
  const { status, statusCode, expose } = error as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return expose === true && typeof value === 'number' && value >= 400 && value < 500 ? value : undefined;
}

/**
 * What body-parser and the router could not read of a request: the client's mistake, never a 500, and said in our own
 * words (their messages quote headers, the body or zlib's internals).
 */
function fromRequestParsing(error: unknown, contentEncoding: string | undefined, bodyLimit: string | undefined): HttpError | undefined {
  if (!(error instanceof Error)) return undefined;
  switch ((error as { type?: unknown }).type) {
    case 'entity.parse.failed':
      return new MalformedJsonError(malformedJsonProblem(error.message));
    case 'entity.too.large':
      return new PayloadTooLargeError(bodyLimit);
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('This Content-Encoding is not supported; send the body uncompressed, or with gzip, deflate or br');
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('This charset is not supported; send UTF-8');
  }
  // express 5's router decodes path parameters and throws a URIError (status 400, not marked expose) on malformed percent-encoding.
  if (error instanceof URIError && (error as { status?: unknown }).status === 400) {
    return new ValidationFailedError([{ path: 'path', message: 'malformed percent-encoding' }], 'request path');
  }
  const status = clientErrorStatus(error);
  if (status === undefined) return undefined;
  const type = (error as { type?: unknown }).type;
  // raw-body's own failures (aborted, wrong length) have a type and a message of its own making.
  if (typeof type === 'string' && type.startsWith('request.')) {
    return new HttpError(status, 'VALIDATION_FAILED', `Invalid request body: ${error.message}`, [{ path: 'body', message: error.message }]);
  }
  // Anything else here failed while decompressing (zlib's message is about its internals, not the request).
  const message = contentEncoding && contentEncoding !== 'identity' ? 'the body is not valid data for its Content-Encoding' : 'the body could not be read';
  return new ValidationFailedError([{ path: 'body', message }], 'request body');
}

/** The one error middleware: known errors keep their status and code; anything else is a 500 without internals. */
export function errorMiddleware(log: Logger, options: ErrorMiddlewareOptions = {}): ErrorRequestHandler {
  const codeOf = options.codeOf ?? ((error: HttpError) => error.code);
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    let answer = error instanceof HttpError ? error : fromRequestParsing(error, req.get('Content-Encoding')?.toLowerCase(), options.bodyLimit);
    // The URL is logged with card numbers masked: a client may have put one anywhere.
    const url = maskCardNumbers(req.originalUrl);
    if (answer) {
      if (answer.status >= 500) log.warn({ err: error, method: req.method, url }, answer.message);
    } else {
      log.error({ err: error, method: req.method, url }, 'unhandled error');
      answer = new InternalServerError();
    }
    if (answer instanceof UnauthenticatedError) res.set('WWW-Authenticate', answer.challenge);
    if (answer instanceof MethodNotAllowedError) res.setHeader('Allow', answer.allow.join(', '));
    const body = answer.toBody();
    res.status(answer.status).json({ error: { ...body.error, code: codeOf(answer) } });
  };
}
