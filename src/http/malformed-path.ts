import { API_TEXT } from './api-text.ts';
import type { Request, RequestHandler } from 'express';
import { twilioFormBody } from './twilio-form-body.ts';
import { errorBody } from './errors.ts';

/** True when every %-escape in the path decodes (as UTF-8); a path without % is always fine. */
export function pathDecodes(path: string): boolean {
  if (!path.includes('%')) return true;
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A path whose %-encoding does not decode (`/%E0%A4%A`, `/api/%`, `/twilio/%zz`) is the client's
 * mistake: 400, not the 500 Express's parameter decoding used to end in. Under /api (and
 * any other JSON API path the server mounts) the JSON error shape; under /twilio a plain 400, but only once the request is shown to be signed by Twilio (an
 * unsigned one stays 403, so nothing about our paths leaks). Other paths go on to `malformedPagePaths`,
 * mounted after the page headers.
 */
export function rejectMalformedApiPaths(options: { signedByTwilio: (req: Request) => boolean; jsonApiPaths: string[] }): RequestHandler {
  // The same form parsing as the /twilio router, so the signature is checked over the same fields.
  const twilioForm = twilioFormBody;
  return (req, res, next) => {
    if (pathDecodes(req.path)) return next();
    if (req.path === '/twilio' || req.path.startsWith('/twilio/')) {
      twilioForm(req, res, (error?: unknown) => {
        if (error || !options.signedByTwilio(req)) {
          res.status(error ? 400 : 403).type('text/plain').send(error ? 'Bad request' : 'Forbidden: this endpoint only answers requests signed by Twilio.');
          return;
        }
        res.status(400).type('text/plain').send('Bad request');
      });
      return;
    }
    if (options.jsonApiPaths.some((path) => req.path === path || req.path.startsWith(`${path}/`))) {
      res.status(400).set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }).json(errorBody('malformed_path', API_TEXT.malformedPath.en));
      return;
    }
    next();
  };
}

/** The page answer for a path that does not decode: `page` renders it (status 400). */
export const rejectMalformedPagePaths =
  (page: RequestHandler): RequestHandler =>
  (req, res, next) =>
    pathDecodes(req.path) ? next() : page(req, res, next);
