import { createServer, type Server } from 'node:http';
import type { RequestHandler } from 'express';
import { registry } from './metrics.ts';

/**
 * GET /metrics on the app's own port: only with `Authorization: Bearer <METRICS_TOKEN>`. `check`
 * compares the token given with METRICS_TOKEN after counting the try for the client address (the
 * wiring passes web/sign-in-limit.ts checkMetricsToken): a guesser is locked out like at sign-in.
 */
export function metricsEndpoint(check: (given: string, address: string | undefined) => Promise<'ok' | 'wrong' | 'locked'>): RequestHandler {
  return async (req, res) => {
    const given = /^Bearer (\S+)$/.exec(req.get('Authorization') ?? '')?.[1] ?? '';
    const result = await check(given, req.ip);
    if (result === 'locked') {
      res.status(429).set('Retry-After', '900').type('text/plain').send('too many wrong tokens from this address; try again later\n');
      return;
    }
    if (result !== 'ok') {
      res.status(401).set('WWW-Authenticate', 'Bearer').type('text/plain').send('metrics need the METRICS_TOKEN bearer token\n');
      return;
    }
    res.set('Cache-Control', 'no-store').type(registry.contentType).send(await registry.metrics());
  };
}

/** Or on a port of its own (METRICS_PORT), meant to be reachable by the scraper only: no token there. */
export function startMetricsServer(port: number, host?: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(await registry.metrics());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
