import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import twilio from 'twilio';

/**
 * Twilio's signature over exactly the URL we were asked for. This is what Twilio sends in the normal
 * case, and checking it costs one HMAC; twilio.validateRequest also parses and rebuilds the URL
 * (with and without port, legacy query encoding), about twice the cost, so it is the fallback.
 */
function signatureMatchesUrl(authToken: string, signature: string, url: string, params: Record<string, string>): boolean {
  const expected = Buffer.from(twilio.getExpectedTwilioSignature(authToken, url, params));
  const actual = Buffer.from(signature);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Rejects every request that Twilio did not sign. The URL checked is PUBLIC_BASE_URL plus the path
 * and query as received, so it holds behind a proxy or tunnel that rewrites the Host header.
 * There is no switch to turn this off, in any mode.
 */
export function requireTwilioSignature(authToken: string, publicBaseUrl: string): RequestHandler {
  return (req, res, next) => {
    const signature = req.get('X-Twilio-Signature');
    const params = req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : {};
    const url = publicBaseUrl + req.originalUrl;
    if (!signature || !(signatureMatchesUrl(authToken, signature, url, params) || twilio.validateRequest(authToken, signature, url, params))) {
      res.status(403).type('text/plain').send('Forbidden: this endpoint only answers requests signed by Twilio.');
      return;
    }
    next();
  };
}
