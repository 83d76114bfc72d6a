import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import twilio from 'twilio';

/**
 * A check that a request was signed by Twilio. The URL checked is PUBLIC_BASE_URL plus the path
 * and query as received, so it holds behind a proxy or tunnel that rewrites the Host header.
 * There is no switch to turn this off, in any mode.
 *
 * The fast path is Twilio's algorithm for a form body of plain values (HMAC-SHA1 over the URL,
 * then each parameter name and value in name order) with the key imported once; it is what
 * Twilio sends in the normal case. Anything it does not match goes to twilio.validateRequest,
 * which also tries the URL with and without port and legacy query encoding, at about twice the cost.
 */
export function twilioSignatureCheck(authToken: string, publicBaseUrl: string): (req: Request) => boolean {
  const key = createSecretKey(Buffer.from(authToken, 'utf8'));
  const signatureOverUrl = (url: string, params: Record<string, unknown>): string | undefined => {
    let data = url;
    for (const name of Object.keys(params).sort()) {
      const value = params[name];
      if (typeof value !== 'string') return undefined;
      data += name + value;
    }
    return createHmac('sha1', key).update(data, 'utf8').digest('base64');
  };
  return (req) => {
    const signature = req.get('X-Twilio-Signature');
    if (!signature) return false;
    const params = req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : {};
    const url = publicBaseUrl + req.originalUrl;
    const expected = signatureOverUrl(url, params);
    if (expected !== undefined && expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) return true;
    return twilio.validateRequest(authToken, signature, url, params);
  };
}
