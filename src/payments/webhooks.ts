import { createHmac } from 'node:crypto';
import { postOutbound, type OutboundPolicy } from '../http/outbound.ts';
import type { Logger } from '../logger.ts';

/** `Dialpass-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" with the webhook secret>`. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

export interface WebhookDelivery {
  url: string;
  secret: string;
  payload: unknown;
}

export interface WebhookOptions {
  maxAttempts: number;
  retryBaseMs: number;
  now: () => number;
  policy: OutboundPolicy;
  logger?: Logger;
}

/**
 * POSTs the event until the merchant answers 2xx, doubling the wait after each failure, up to
 * maxAttempts. Each attempt is signed afresh (a new timestamp) so receivers can reject stale
 * replays. Retries live in this process: a restart drops the ones still waiting (see the report).
 */
export function deliverWebhook(delivery: WebhookDelivery, options: WebhookOptions): Promise<boolean> {
  const body = JSON.stringify(delivery.payload);
  return new Promise((resolve) => {
    const attempt = async (n: number) => {
      let ok = false;
      try {
        const headers = { 'Content-Type': 'application/json', 'Dialpass-Signature': signWebhook(delivery.secret, body, Math.floor(options.now() / 1000)) };
        const res = await postOutbound(delivery.url, headers, body, options.policy);
        ok = res.status >= 200 && res.status < 300;
      } catch (error) {
        options.logger?.warn({ err: error, url: delivery.url, attempt: n }, 'webhook attempt failed');
      }
      if (ok) return resolve(true);
      if (n >= options.maxAttempts) {
        options.logger?.error({ url: delivery.url }, 'webhook given up after the last attempt');
        return resolve(false);
      }
      setTimeout(() => void attempt(n + 1), options.retryBaseMs * 2 ** (n - 1)).unref();
    };
    void attempt(1);
  });
}
