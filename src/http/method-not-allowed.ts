import type { RequestHandler } from 'express';
import { API_TEXT } from './api-text.ts';
import { errorBody } from './errors.ts';

/** The part of an OpenAPI document this needs: where its paths live, and each path's methods. */
export interface DocumentedPaths {
  readonly servers: readonly { readonly url: string }[];
  readonly paths: Readonly<Record<string, object>>;
}

/**
 * A request for a documented path with a method the path does not take is answered 405 with
 * `Allow` (RFC 9110 §15.5.6), not 404: the client has the right address and the wrong verb. The
 * OpenAPI document is the one list of what each path takes, so this never disagrees with it.
 */
export function methodNotAllowed(document: DocumentedPaths): RequestHandler {
  const base = document.servers[0]?.url ?? '';
  const routes = Object.entries(document.paths).map(([path, operations]) => ({
    pattern: new RegExp(`^${(base + path).replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}/?$`),
    allow: Object.keys(operations)
      .map((m) => m.toUpperCase())
      .flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])),
  }));
  return (req, res, next) => {
    const path = req.originalUrl.split('?')[0]!;
    const route = routes.find((r) => r.pattern.test(path));
    if (!route || route.allow.includes(req.method)) return next();
    res.status(405).set('Allow', route.allow.join(', ')).json(errorBody('method_not_allowed', API_TEXT.methodNotAllowed(req.method, route.allow.join(', ')).en));
  };
}
