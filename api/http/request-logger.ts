// One log line per request with its outcome; the request id is echoed so a caller can quote it.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { containsCardNumber, maskCardNumbers } from '../../platform/http/card-numbers.js';
import type { Logger } from '../../platform/logger.js';

/** A caller's X-Request-Id is kept only when it is a short printable token: it is echoed back and written to every log line. */
function requestIdFrom(header: string | undefined): string {
  return header !== undefined && /^[\x21-\x7E]{1,100}$/.test(header) && !containsCardNumber(header) ? header : randomUUID();
}

export function requestLogger(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.get('X-Request-Id'));
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug';
      // Refused requests are logged too, so a card number a client put in the URL is masked here.
      const url = maskCardNumbers(req.originalUrl);
      log[level]({ requestId, method: req.method, url, status: res.statusCode, durationMs: Math.round(durationMs) }, 'request');
    });
    next();
  };
}
