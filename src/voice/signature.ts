import type { RequestHandler } from 'express';
import twilio from 'twilio';

/**
 * Rejects every request that Twilio did not sign. The URL checked is PUBLIC_BASE_URL plus the path
 * and query as received, so it holds behind a proxy or tunnel that rewrites the Host header.
 * There is no switch to turn this off, in any mode.
 */
export function requireTwilioSignature(authToken: string, publicBaseUrl: string): RequestHandler {
  return (req, res, next) => {
    const signature = req.get('X-Twilio-Signature');
    const params = req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : {};
    if (!signature || !twilio.validateRequest(authToken, signature, publicBaseUrl + req.originalUrl, params)) {
      res.status(403).type('text/plain').send('Forbidden: this endpoint only answers requests signed by Twilio.');
      return;
    }
    next();
  };
}
