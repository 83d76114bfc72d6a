// A TCP proxy in front of a real redis-server that lets a test stop an app at an exact point:
// it forwards every command until one whose bytes contain all the given needles, and from then on
// forwards nothing more from any client, as if the app had died just before sending it. The
// test then SIGKILLs the app: what Redis holds is what a crash at that point leaves.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** Where one RESP command (an array of bulk strings, as every Redis client sends) ends in `buf`, or -1 if it is not all there yet. */
function commandEnd(buf: Buffer): number {
  const lineEnd = (from: number) => {
    const at = buf.indexOf('\r\n', from);
    return at < 0 ? -1 : at;
  };
  if (buf.length === 0) return -1;
  if (buf[0] !== 0x2a /* * */) throw new Error(`not a RESP array: ${JSON.stringify(buf.subarray(0, 20).toString())}`);
  let at = lineEnd(0);
  if (at < 0) return -1;
  const count = Number(buf.subarray(1, at).toString());
  let offset = at + 2;
  for (let i = 0; i < count; i++) {
    if (offset >= buf.length) return -1;
    if (buf[offset] !== 0x24 /* $ */) throw new Error('not a RESP bulk string');
    at = lineEnd(offset);
    if (at < 0) return -1;
    const length = Number(buf.subarray(offset + 1, at).toString());
    offset = at + 2 + length + 2;
    if (offset > buf.length) return -1;
  }
  return offset;
}

export interface FreezingProxy {
  url: string;
  /** Resolves when the command with every needle arrived (it was not forwarded, nor anything after it). */
  frozen: Promise<void>;
  close(): Promise<void>;
}

export async function freezingRedisProxy(target: string, needles: string[]): Promise<FreezingProxy> {
  const { hostname, port } = new URL(target);
  let isFrozen = false;
  let markFrozen: () => void = () => {};
  const frozen = new Promise<void>((resolve) => (markFrozen = resolve));
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (isFrozen) return;
      pending = Buffer.concat([pending, chunk]);
      for (let end = commandEnd(pending); end > 0; end = commandEnd(pending)) {
        const command = pending.subarray(0, end);
        pending = pending.subarray(end);
        if (needles.every((needle) => command.includes(needle))) {
          isFrozen = true;
          markFrozen();
          return;
        }
        upstream.write(command);
      }
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${address.port}`,
    frozen,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
