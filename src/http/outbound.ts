import { API_TEXT } from './api-text.ts';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Config } from '../config.ts';
import { AppError } from './errors.ts';

/**
 * The one way dialpass sends HTTP to an address someone else chose (merchant webhooks). A URL
 * is checked when it is saved and again on every delivery, and the connection goes to the very
 * address that was checked, so DNS cannot answer "public" to the check and "internal" to the
 * connect (rebinding). Redirects are never followed: a 3xx is an answer like any other.
 */
export interface OutboundPolicy {
  /** Loopback targets (tests and local development need a listener on 127.0.0.1). */
  allowLoopback: boolean;
  /** Production sends webhooks over https only. */
  httpsOnly: boolean;
  timeoutMs: number;
}

export const outboundPolicy = (config: Config): OutboundPolicy => ({
  allowLoopback: config.outboundAllowLoopback,
  httpsOnly: config.env === 'production',
  timeoutMs: config.webhookTimeoutMs,
});

export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

/** The 422 a merchant or operator gets for a webhook URL that may not be called. */
export const webhookUrlNotAllowed = (why: string) =>
  new AppError(422, 'webhook_url_not_allowed', API_TEXT.webhookUrlNotAllowed(why));

/** Checks a webhook URL about to be saved; throws the 422 when it may not be called. */
export async function assertWebhookUrlAllowed(url: string | undefined, policy: OutboundPolicy): Promise<void> {
  if (url === undefined || url === '') return;
  try {
    await checkOutboundUrl(url, policy);
  } catch (error) {
    if (error instanceof OutboundRefused) throw webhookUrlNotAllowed(error.message);
    throw error;
  }
}

const DNS_TIMEOUT_MS = 3000;

/**
 * Why an address may not be reached, or undefined when it may. Only plain public unicast passes
 * (ipaddr.js classifies: private, link-local incl. 169.254.169.254, CGNAT, unique-local,
 * IPv4-mapped/compatible IPv6, NAT64, multicast, unspecified, broadcast, reserved, documentation…).
 */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

export function refusedAddress(address: string, policy: Pick<OutboundPolicy, 'allowLoopback'>): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  let range: string;
  try {
    parsed = ipaddr.parse(address);
    range = parsed.range();
  } catch {
    return `${address} is not an IP address`;
  }
  // IPv6 outside 2000::/3 is never a public host. ipaddr.js names only ::ffff:0:0/96 (mapped) in
  // ::/8; the IPv4-compatible ::/96 (`[::127.0.0.1]` is written `[::7f00:1]` by the URL parser,
  // `[::a9fe:a9fe]` is 169.254.169.254) it calls "unicast", and a dual-stack host may route it to
  // the embedded IPv4 address. So IPv6 must also be global unicast by prefix, not only by name.
  if (parsed.kind() === 'ipv6' && range === 'unicast' && !(parsed as ipaddr.IPv6).match(GLOBAL_UNICAST_V6)) {
    const embedded = (parsed as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0);
    return `${address} is ${embedded ? 'an IPv4-compatible IPv6' : 'a reserved IPv6'} address`;
  }
  if (range === 'unicast') return undefined;
  if (range === 'loopback' && policy.allowLoopback) return undefined;
  return `${address} is a ${range} address`;
}

const bareHost = (hostname: string) => (hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);

function parseTarget(url: string, policy: OutboundPolicy): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundRefused('is not a URL');
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && !policy.httpsOnly)) {
    throw new OutboundRefused(policy.httpsOnly ? 'must be an https URL' : 'must be an http or https URL');
  }
  if (parsed.username || parsed.password) throw new OutboundRefused('must not carry a user name or password');
  return parsed;
}

async function resolveAll(hostname: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`DNS lookup of ${hostname} timed out`), { code: 'ETIMEOUT' })), DNS_TIMEOUT_MS);
  });
  try {
    const found = await Promise.race([dnsLookup(hostname, { all: true, verbatim: true }), timeout]);
    return found.map((a) => a.address);
  } finally {
    clearTimeout(timer);
  }
}

/** Every address the name resolves to must pass: one internal answer is enough to refuse. */
function checkAddresses(hostname: string, addresses: string[], policy: OutboundPolicy): void {
  for (const address of addresses) {
    const why = refusedAddress(address, policy);
    if (why) throw new OutboundRefused(`points to an address that is not allowed (${hostname}: ${why})`);
  }
}

/**
 * Checks a webhook URL as it is saved. A name that does not resolve (yet) is accepted: delivery
 * checks again and is what counts; one that resolves to an internal address is refused now.
 */
export async function checkOutboundUrl(url: string, policy: OutboundPolicy): Promise<void> {
  const target = parseTarget(url, policy);
  const host = bareHost(target.hostname);
  if (isIP(host)) return checkAddresses(host, [host], policy);
  let addresses: string[];
  try {
    addresses = await resolveAll(host);
  } catch {
    return;
  }
  checkAddresses(host, addresses, policy);
}

export interface OutboundResponse {
  status: number;
}

/**
 * POSTs `body` to `url` and resolves with the status (any status: 3xx is not followed) once the
 * whole answer has arrived. Rejects with OutboundRefused when the target is not allowed, and with
 * the network error otherwise. `policy.timeoutMs` is a deadline on the whole exchange (lookup,
 * connect, headers and body): a receiver that answers and then trickles its body a byte at a time
 * is cut at the deadline, as is one that never answers. `signal` cuts it sooner (shutdown).
 */
export async function postOutbound(url: string, headers: Record<string, string>, body: string, policy: OutboundPolicy, signal?: AbortSignal): Promise<OutboundResponse> {
  const target = parseTarget(url, policy);
  const host = bareHost(target.hostname);
  // An IP literal is connected to as it is (Node skips the lookup), so it is checked here.
  if (isIP(host)) checkAddresses(host, [host], policy);
  // A name is resolved once, inside the connect, and the socket goes to the address checked here;
  // Host and SNI stay the original name.
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolveAll(hostname).then(
      (addresses) => {
        try {
          checkAddresses(hostname, addresses, policy);
        } catch (refused) {
          return callback(refused as NodeJS.ErrnoException, '', 4);
        }
        const wanted = options.family === 6 ? addresses.filter((a) => isIP(a) === 6) : options.family === 4 ? addresses.filter((a) => isIP(a) === 4) : addresses;
        if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname} has no usable address`), { code: 'ENOTFOUND' }), '', 4);
        if (options.all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, wanted.map((a) => ({ address: a, family: isIP(a) })));
        callback(null, wanted[0]!, isIP(wanted[0]!));
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };
  const options: RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
    lookup,
    agent: false,
    timeout: policy.timeoutMs,
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, status = 0) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve({ status });
    };
    const req = send(target, options, (res: IncomingMessage) => {
      res.resume();
      res.on('end', () => finish(undefined, res.statusCode ?? 0));
      res.on('error', (error) => finish(error));
      res.on('close', () => finish(new Error('the answer was cut off')));
    });
    // The socket timeout below only notices silence; this one holds however the bytes arrive.
    const deadline = setTimeout(() => req.destroy(new Error(`no complete answer within ${policy.timeoutMs} ms`)), policy.timeoutMs);
    const onAbort = () => req.destroy(new Error('stopped: the app is shutting down'));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${policy.timeoutMs} ms`)));
    req.on('error', (error) => finish(error));
    req.end(body);
  });
}
