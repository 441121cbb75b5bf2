// Security headers on every answer (helmet), with a Content-Security-Policy strict enough for the web console this API will serve.
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Same-origin scripts, styles and connections only, no inline script or style, no plugins, no framing, no <base>:
 * the console must be written to this policy (script and style files, no inline handlers) and injected markup cannot run.
 * upgrade-insecure-requests is left out: `npm start` serves plain http on 127.0.0.1, where it would break the console's calls.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
}
