import type { AddressInfo } from 'node:net';
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';

/**
 * What the front does with one request on its way to the app:
 *  - `pass`: forwards it and hands back the answer;
 *  - `refuse`: answers 500 itself, the app never sees it (a proxy with the app down);
 *  - `lose-answer`: forwards it, the app does the work, then answers 500 instead (the answer lost on the way back);
 *  - `{ holdMs }`: forwards it and hands the answer back only after holdMs (a step too slow for Twilio).
 */
export type FrontFault = 'pass' | 'refuse' | 'lose-answer' | { holdMs: number };

/**
 * A reverse proxy on loopback between the call simulator and the app, as a load balancer in front
 * of dialpass would be: a test decides per request whether it fails, and how.
 */
export async function startFaultyFront(target: string, decide: (req: IncomingMessage) => FrontFault = () => 'pass') {
  const agent = new Agent({ keepAlive: true });
  const upstream = new URL(target);
  const seen: { method: string; path: string; fault: FrontFault }[] = [];
  let rule = decide;
  const server = createServer((req, res) => {
    const fault = rule(req);
    seen.push({ method: req.method ?? '', path: req.url ?? '', fault });
    if (fault === 'refuse') {
      req.resume();
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('upstream unavailable');
      return;
    }
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const send = () => {
          if (res.destroyed) return;
          if (fault === 'lose-answer') res.writeHead(502, { 'Content-Type': 'text/plain' }).end('bad gateway');
          else res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
        };
        if (typeof fault === 'object') setTimeout(send, fault.holdMs);
        else send();
      });
    });
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    set(next: (req: IncomingMessage) => FrontFault) {
      rule = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      agent.destroy();
    },
  };
}
