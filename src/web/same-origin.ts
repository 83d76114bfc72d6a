import type { RequestHandler } from 'express';

/**
 * Refuses form posts sent from another site (login CSRF, PIN changes). Browsers send Origin on
 * cross-site POSTs; requests without it (curl, the tests' fetch) are not from a browser form.
 */
export function requireSameOriginForms(publicBaseUrl: string): RequestHandler {
  const allowed = new URL(publicBaseUrl).origin;
  return (req, res, next) => {
    const origin = req.get('Origin');
    if (req.method !== 'POST' || !origin) return next();
    const sameHost = (() => {
      try {
        return new URL(origin).host === req.get('Host');
      } catch {
        return false;
      }
    })();
    if (origin === allowed || sameHost) return next();
    res.status(403).type('text/plain').send('Forbidden: cross-site form posts are not accepted.');
  };
}
