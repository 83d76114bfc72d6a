import { API_TEXT } from '../http/api-text.ts';
import type { RequestHandler } from 'express';
import { errorBody } from '../http/errors.ts';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses state-changing requests sent from another site (login CSRF, logout CSRF, PIN changes).
 * Browsers send Origin on cross-site POSTs (`null` from sandboxed frames and some redirects, also
 * refused) and Sec-Fetch-Site on every request; requests with neither (curl, the tests' fetch,
 * server-to-server API clients) are not from a browser and pass. `answer` picks the refusal's
 * form: plain text for pages, the JSON error shape under /api.
 */
export function requireSameOriginForms(publicBaseUrl: string, answer: 'text' | 'json' = 'text'): RequestHandler {
  const allowed = new URL(publicBaseUrl).origin;
  return (req, res, next) => {
    if (!UNSAFE_METHODS.has(req.method)) return next();
    const origin = req.get('Origin');
    const fetchSite = req.get('Sec-Fetch-Site');
    const crossSiteByFetchMetadata = fetchSite === 'cross-site' || fetchSite === 'same-site';
    if (!origin && !crossSiteByFetchMetadata) return next();
    const sameHost = (() => {
      if (!origin) return false;
      try {
        return new URL(origin).host === req.get('Host');
      } catch {
        return false;
      }
    })();
    if (!crossSiteByFetchMetadata && (origin === allowed || sameHost)) return next();
    if (answer === 'json') {
      res.status(403).json(errorBody('cross_site_request', API_TEXT.crossSiteRequest.en));
      return;
    }
    res.status(403).type('text/plain').send('Forbidden: cross-site form posts are not accepted.');
  };
}
