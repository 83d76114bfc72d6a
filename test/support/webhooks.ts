import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  type: string;
}

/**
 * A merchant's webhook endpoint on loopback. While `down`, it answers 503 (and records nothing
 * as received); every request counts as an attempt.
 */
export async function webhookReceiver(options: { down?: boolean } = {}) {
  const received: ReceivedWebhook[] = [];
  const state = { down: options.down ?? false, attempts: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      state.attempts++;
      if (state.down) return void res.writeHead(503).end();
      received.push({ id: String(req.headers['webhook-id']), headers: req.headers, body, type: JSON.parse(body).type });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    state,
    /** Waits until `n` webhooks were received (or `ms` passed: generous, as it returns as soon as they are) and returns what was. */
    async waitFor(n: number, ms = 30_000) {
      const until = Date.now() + ms;
      while (received.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return received;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns something truthy or `ms` pass. */
export async function eventually<T>(check: () => Promise<T>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  let last = await check();
  while (!last && Date.now() < until) {
    await sleep(20);
    last = await check();
  }
  return last;
}
