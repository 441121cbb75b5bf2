// One log line per request with its outcome; the request id is echoed so a caller can quote it.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../platform/logger.js';

export function requestLogger(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = req.get('X-Request-Id')?.slice(0, 100) || randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug';
      log[level]({ requestId, method: req.method, url: req.originalUrl, status: res.statusCode, durationMs: Math.round(durationMs) }, 'request');
    });
    next();
  };
}
