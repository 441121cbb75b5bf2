// 405 with an Allow header for a known path asked with a method it does not have; the paths and methods come from the served OpenAPI document.
import type { RequestHandler } from 'express';
import { MethodNotAllowedError } from '../../platform/http/errors.js';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type OpenApiPaths = Record<string, object>;

/** `/orders/{orderId}/cancel` → a regular expression matching one segment per parameter. */
function templateToRegExp(template: string): RegExp {
  const pattern = template
    .split(/\{[^}]+\}/)
    .map((literal) => literal.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${pattern}/?$`);
}

/**
 * Mounted after every route: a request that reaches it matched no route. When its path is a documented one, the method
 * was wrong (405, Allow lists the documented methods, HEAD with GET); otherwise it falls through to the 404.
 */
export function methodNotAllowed(paths: OpenApiPaths): RequestHandler {
  const known = Object.entries(paths).map(([template, item]) => {
    const methods = HTTP_METHODS.filter((method) => method in item).map((method) => method.toUpperCase());
    if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
    return { template, matches: templateToRegExp(template), allow: methods };
  });
  return (req, _res, next) => {
    const route = known.find(({ matches }) => matches.test(req.path));
    // The documented template is named, not the path as sent (the client's text, of any length).
    next(route ? new MethodNotAllowedError(req.method, route.template, route.allow) : undefined);
  };
}
