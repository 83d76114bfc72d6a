import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import twilio from 'twilio';
import type { Caller, KeyRequest } from '../../simulator/call.ts';

export const TWIML_APP_TOKEN = 'canned-twiml-app-token-0123456789';

export interface RecordedRequest {
  method: string;
  path: string;
  /** Path and query as requested. */
  url: string;
  query: Record<string, string>;
  body: Record<string, string>;
  signatureValid: boolean;
}

export type CannedAnswer = string | { status?: number; type?: string; body: string; delayMs?: number };

export interface TwimlApp {
  /** Where it listens; also its public base URL (the simulator signs for this). */
  url: string;
  requests: RecordedRequest[];
  /** Requests to one path, in order. */
  to(path: string): RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A tiny voice app for the simulator tests: answers each path with canned TwiML, records every
 * request it gets and checks each signature with twilio's own validator (a bad one gets 403).
 */
export async function startTwimlApp(routes: Record<string, CannedAnswer>): Promise<TwimlApp> {
  const requests: RecordedRequest[] = [];
  const app = express();
  let base = '';
  app.use(express.urlencoded({ extended: false }));
  app.all('/{*path}', (req, res) => {
    const body = (req.method === 'POST' ? req.body : {}) as Record<string, string>;
    const signature = req.get('X-Twilio-Signature') ?? '';
    const signatureValid = twilio.validateRequest(TWIML_APP_TOKEN, signature, base + req.originalUrl, body);
    requests.push({ method: req.method, path: req.path, url: req.originalUrl, query: req.query as Record<string, string>, body, signatureValid });
    if (!signatureValid) return void res.status(403).send('bad signature');
    if (req.path === '/twilio/voice/status') return void res.status(204).end();
    const answer = routes[req.path];
    if (answer === undefined) return void res.status(404).send('no such path');
    const { status = 200, type = 'text/xml', body: text, delayMs = 0 } = typeof answer === 'string' ? { body: answer } : answer;
    const send = () => void (res.writableEnded || res.destroyed ? undefined : res.status(status).type(type).send(text));
    if (delayMs) setTimeout(send, delayMs);
    else send();
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export const twiml = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`;

/** A caller who presses the given entries in turn (null = hangs up) and remembers what was asked. */
export function scriptedCaller(entries: (string | null)[]): Caller & { asked: KeyRequest[] } {
  const queue = [...entries];
  const asked: KeyRequest[] = [];
  return {
    asked,
    async keys(request) {
      asked.push(request);
      return queue.length ? queue.shift()! : null;
    },
  };
}
