import { expect } from 'chai';
import { formalIds } from '../../src/identifiers/ids.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/managed-redis.ts';
import { processEnv } from '../../src/config.ts';
import { redisServersIn, startAppProcess } from '../support/app-process.ts';

const GRACE_MS = 250;
/**
 * SHUTDOWN_TIMEOUT_MS for the tests of a forced exit: a graceful stop held by a request in flight
 * takes this long, so an exit "at once" is told from it by a wide margin however loaded the machine.
 */
const SLOW_STOP_MS = 60_000;

/** Polls `check` until it passes or `ms` have gone by (then its last failure is thrown). */
async function eventually(check: () => void, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * A request the server has surely taken in and that never ends: headers with
 * `Expect: 100-continue`, and the body never sent. Resolves once the server answered
 * "100 Continue" (it has emitted the request: the request is in flight, not an idle connection).
 * A partial request written just before a signal could still be on its way when the server closed
 * its idle connections, and then nothing held the stop (the flaky "second Ctrl-C" test).
 */
async function requestInFlight(port: number) {
  const { connect } = await import('node:net');
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  const continued = new Promise<void>((resolve) => {
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('100 Continue')) resolve();
    });
  });
  socket.write('POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n');
  await continued;
  return socket;
}

interface Hit {
  sentAt: number;
  doneAt: number;
  status?: number;
  connection?: string;
  error?: string;
}

/** One keep-alive request through `agent`; never rejects. */
function hit(agent: Agent, port: number, path: string, method = 'GET', body?: string): Promise<Hit> {
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ sentAt, doneAt: performance.now(), status: res.statusCode, connection: res.headers.connection }));
      res.on('error', (e) => resolve({ sentAt, doneAt: performance.now(), error: e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ sentAt, doneAt: performance.now(), error: e.code ?? e.message }));
    req.end(body);
  });
}

describe('npm start: a clear refusal at start, and a stop with a deadline', function () {
  this.timeout(90_000);
  const dirs: string[] = [];
  const tempDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'dialpass-start-'));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  describe('a newcomer’s first hour', () => {
    let squatter: Server;
    let takenPort: number;
    before(async () => {
      takenPort = await freePort();
      squatter = createServer();
      await new Promise<void>((r) => squatter.listen(takenPort, r));
    });
    after(() => new Promise((r) => squatter.close(r)));

    it('with the port taken, start ends with one line on stderr and a non-zero exit, before any redis-server touches the data directory', async () => {
      const dataDir = tempDataDir();
      const app = await startAppProcess({ PORT: String(takenPort), REDIS_URL: '', REDIS_CLUSTER_NODES: '', REDIS_DATA_DIR: dataDir }, { waitUntilRunning: false });
      const { code } = await app.exited;
      expect(code).to.not.equal(0);
      expect(app.stderr().trim().split('\n')).to.deep.equal([`dialpass: port ${takenPort} is already in use; set PORT to another one.`]);
      expect(app.stdout()).to.not.include('redis-server');
      expect(redisServersIn(dataDir)).to.deep.equal([]);
      expect(existsSync(join(dataDir, 'appendonlydir'))).to.equal(false);
    });

    it('a second start on the same data directory ends with one line and exit code 1, and only the first one’s redis-server runs on it', async () => {
      const dataDir = tempDataDir();
      const first = await startAppProcess({ REDIS_URL: '', REDIS_CLUSTER_NODES: '', REDIS_DATA_DIR: dataDir });
      try {
        const [firstRedis] = redisServersIn(dataDir);
        expect(firstRedis).to.be.a('number');
        const second = await startAppProcess({ REDIS_URL: '', REDIS_CLUSTER_NODES: '', REDIS_DATA_DIR: dataDir }, { waitUntilRunning: false });
        const { code } = await second.exited;
        expect(code).to.equal(1);
        const lines = second.stderr().trim().split('\n');
        expect(lines).to.have.length(1);
        expect(lines[0]).to.match(new RegExp(`^dialpass: another dialpass \\(pid ${first.pid}\\) is already running a redis-server on `));
        expect(redisServersIn(dataDir)).to.deep.equal([firstRedis]);
        expect((await fetch(`${first.url}/healthz`)).status).to.equal(200);
      } finally {
        first.child.kill('SIGTERM');
        expect((await first.exited).code).to.equal(0);
      }
      expect(redisServersIn(dataDir)).to.deep.equal([]);
      expect(existsSync(join(dataDir, 'dialpass.lock')), 'lock released').to.equal(false);
    });

    it('after a start that was killed outright, the next start stops the redis-server it left behind and takes over the data directory', async () => {
      const dataDir = tempDataDir();
      const killed = await startAppProcess({ REDIS_URL: '', REDIS_CLUSTER_NODES: '', REDIS_DATA_DIR: dataDir });
      const [orphan] = redisServersIn(dataDir);
      killed.child.kill('SIGKILL');
      await killed.exited;
      let next: Awaited<ReturnType<typeof startAppProcess>> | undefined;
      try {
        expect(redisServersIn(dataDir)).to.deep.equal([orphan]);
        next = await startAppProcess({ REDIS_URL: '', REDIS_CLUSTER_NODES: '', REDIS_DATA_DIR: dataDir });
        const now = redisServersIn(dataDir);
        expect(now).to.have.length(1);
        expect(now[0]).to.not.equal(orphan);
        expect(JSON.parse(readFileSync(join(dataDir, 'dialpass.lock'), 'utf8')).ownerPid).to.equal(next.pid);
        expect((await fetch(`${next.url}/healthz`)).status).to.equal(200);
      } finally {
        next?.child.kill('SIGTERM');
        await next?.exited;
        for (const pid of redisServersIn(dataDir)) process.kill(pid, 'SIGTERM');
      }
    });
  });

  describe('SIGTERM under keep-alive load', () => {
    it('stops accepting, answers what is in flight with Connection: close, accepts nothing after a short grace, and exits 0 well within SHUTDOWN_TIMEOUT_MS', async () => {
      const app = await startAppProcess({ SHUTDOWN_TIMEOUT_MS: '10000' });
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      const hits: Hit[] = [];
      let running = true;
      const clients = Array.from({ length: 8 }, async () => {
        while (running) {
          const h = await hit(agent, app.port, '/healthz');
          hits.push(h);
          if (h.error) await new Promise((r) => setTimeout(r, 20));
        }
      });
      await new Promise((r) => setTimeout(r, 1500));
      // A request in flight when the signal comes: its headers are in, its body arrives only after the signal.
      const slowBody = JSON.stringify({ formalId: formalIds.generate(), password: 'not-this-one' });
      let finishSlow = () => {};
      const slow = new Promise<Hit>((resolve) => {
        const sentAt = performance.now();
        const req = request(
          { host: '127.0.0.1', port: app.port, path: '/api/login', method: 'POST', agent: new Agent({ keepAlive: true }), headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(slowBody) } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ sentAt, doneAt: performance.now(), status: res.statusCode, connection: res.headers.connection }));
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => resolve({ sentAt, doneAt: performance.now(), error: e.code ?? e.message }));
        req.write(slowBody.slice(0, 10));
        finishSlow = () => req.end(slowBody.slice(10));
      });
      await new Promise((r) => setTimeout(r, 150));
      const servedBefore = hits.filter((h) => h.status).length;
      const signalledAt = performance.now();
      // The grace counts from when the app says it has seen the signal, not from kill(): on a busy
      // machine the signal may take a while to be handled, and until then serving is right.
      let seenAt = Infinity;
      const seen = new Promise<void>((resolve) =>
        app.child.stdout!.on('data', (chunk: Buffer) => {
          if (seenAt === Infinity && chunk.toString().includes('shutting down')) {
            seenAt = performance.now();
            resolve();
          }
        }),
      );
      app.child.kill('SIGTERM');
      void seen.then(finishSlow);
      const [{ code, at }] = await Promise.all([app.exited, seen]);
      await new Promise((r) => setTimeout(r, GRACE_MS + 200));
      running = false;
      await Promise.all(clients);
      agent.destroy();
      const exitMs = Math.round(at - signalledAt);
      const servedAfter = hits.filter((h) => h.status && h.doneAt > signalledAt);
      const acceptedAfterGrace = hits.filter((h) => h.status && h.sentAt > seenAt + GRACE_MS);
      const slowAnswer = await slow;
      console.log(
        `      served ${servedBefore} before SIGTERM, ${servedAfter.length} answered after it (in flight), signal seen after ${Math.round(seenAt - signalledAt)} ms, exit after ${exitMs} ms with code ${code}`,
      );
      expect(code).to.equal(0);
      expect(exitMs).to.be.below(10_000);
      expect(servedBefore).to.be.greaterThan(50);
      expect(acceptedAfterGrace).to.have.length(0);
      // Per connection: at most one answer already on its way when the signal landed, and one in flight answered with Connection: close.
      expect(servedAfter.length).to.be.at.most(2 * 8);
      expect(slowAnswer.status).to.equal(401);
      expect(slowAnswer.connection).to.equal('close');
      const late = await hit(new Agent(), app.port, '/healthz');
      expect(late.error).to.equal('ECONNREFUSED');
    });

    it('a connection that never finishes its request is cut at SHUTDOWN_TIMEOUT_MS and the process still exits 0', async () => {
      const app = await startAppProcess({ SHUTDOWN_TIMEOUT_MS: '1500' });
      const socket = await requestInFlight(app.port); // its body never comes
      const signalledAt = performance.now();
      app.child.kill('SIGTERM');
      const { code, at } = await app.exited;
      socket.destroy();
      expect(code).to.equal(0);
      expect(at - signalledAt).to.be.within(1400, 5000);
    });
  });
  describe('signals through npm start itself', () => {
    /** `npm start` in a process group of its own, as a terminal runs it; resolves once the app serves. */
    async function npmStart(dataDir: string, env: Record<string, string> = {}) {
      const port = await freePort();
      const npm = spawn('npm', ['start'], {
        cwd: new URL('../../', import.meta.url).pathname,
        env: { ...processEnv(), NODE_ENV: 'test', LOG_LEVEL: 'silent', REDIS_URL: '', REDIS_CLUSTER_NODES: '', REDIS_DATA_DIR: dataDir, PORT: String(port), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let out = '';
      npm.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      npm.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<{ code: number | null; at: number }>((r) => npm.once('exit', (code) => r({ code, at: performance.now() })));
      /** Waits (up to 30 s, polling) until the output shows `text`. */
      const until = async (text: string) => {
        const deadline = Date.now() + 30_000;
        while (!out.includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(out).to.include(text);
      };
      await until('dialpass is running');
      return { npm, port, exited, output: () => out, until };
    }

    it('SIGTERM to the npm process reaches the app: it drains, stops its redis-server and releases the data directory', async () => {
      const dataDir = tempDataDir();
      const { npm, port, exited, until } = await npmStart(dataDir);
      expect(redisServersIn(dataDir)).to.have.length(1);
      const signalledAt = performance.now();
      npm.kill('SIGTERM');
      const { at } = await exited;
      // npm's 'exit' can come before the last of the app's output is read from the pipe: wait for the line.
      await until('dialpass: SIGTERM, shutting down');
      expect(at - signalledAt).to.be.below(10_000);
      expect(redisServersIn(dataDir), 'redis-server stopped').to.deep.equal([]);
      expect(existsSync(join(dataDir, 'dialpass.lock')), 'lock released').to.equal(false);
      expect((await hit(new Agent(), port, '/healthz')).error).to.equal('ECONNREFUSED');
    });

    it('npm’s copy of a Ctrl-C that comes late (over 500 ms, as on a loaded machine) is not taken for a second Ctrl-C; the next one is', async function () {
      this.timeout(SLOW_STOP_MS + 60_000);
      // The app as npm runs it (npm_lifecycle_event set), the signals sent by hand: the terminal's
      // copy, npm's copy a second later, then a real second Ctrl-C.
      const dataDir = tempDataDir();
      const port = await freePort();
      const app = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
        cwd: new URL('../../', import.meta.url).pathname,
        env: { ...processEnv(), npm_lifecycle_event: 'start', NODE_ENV: 'test', LOG_LEVEL: 'silent', REDIS_URL: '', REDIS_CLUSTER_NODES: '', REDIS_DATA_DIR: dataDir, PORT: String(port), SHUTDOWN_TIMEOUT_MS: String(SLOW_STOP_MS) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      app.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      app.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number>((r) => app.once('exit', () => r(performance.now())));
      const until = async (text: string) => {
        const deadline = Date.now() + 30_000;
        while (!out.includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(out).to.include(text);
      };
      await until('dialpass is running');
      // A request in flight (its body never comes): the graceful stop waits for it up to SHUTDOWN_TIMEOUT_MS.
      const stuck = await requestInFlight(port);
      app.kill('SIGINT');
      await until('dialpass: SIGINT, shutting down');
      await new Promise((r) => setTimeout(r, 1000));
      app.kill('SIGINT'); // npm's copy, late
      await new Promise((r) => setTimeout(r, 1000));
      expect(out, 'npm’s late copy did not force the exit').to.not.include('exiting now');
      expect(app.exitCode).to.equal(null);
      const secondAt = performance.now();
      app.kill('SIGINT'); // a real second Ctrl-C
      const at = await exited;
      stuck.destroy();
      // A child's 'exit' can come before the last of its output is read from the pipe: wait for the line.
      await until('dialpass: SIGINT again, exiting now');
      expect(at - secondAt, 'exited at once, not at the graceful stop’s deadline').to.be.below(SLOW_STOP_MS / 2);
    });

    it('Ctrl-C (SIGINT to the whole group, which npm also forwards) starts a graceful stop; a second Ctrl-C exits at once', async function () {
      this.timeout(SLOW_STOP_MS + 60_000);
      const dataDir = tempDataDir();
      const { npm, port, exited, output, until } = await npmStart(dataDir, { SHUTDOWN_TIMEOUT_MS: String(SLOW_STOP_MS) });
      const stuck = await requestInFlight(port); // keeps the graceful stop waiting until SHUTDOWN_TIMEOUT_MS
      process.kill(-npm.pid!, 'SIGINT');
      await until('dialpass: SIGINT, shutting down');
      // One Ctrl-C is two copies (the terminal's and npm's, whenever npm's comes): neither forces the
      // exit. The wait only gives npm's copy a chance to land first (a floor, never a bound).
      await new Promise((r) => setTimeout(r, 1000));
      expect(output()).to.not.include('exiting now');
      expect(npm.exitCode).to.equal(null);
      const secondAt = performance.now();
      process.kill(-npm.pid!, 'SIGINT');
      const { at } = await exited;
      stuck.destroy();
      // npm's 'exit' can come before the last of the app's output is read from the pipe: wait for the line.
      await until('dialpass: SIGINT again, exiting now');
      expect(at - secondAt, 'exited at once, not at the graceful stop’s deadline').to.be.below(SLOW_STOP_MS / 2);
      // redis-server (a process group of its own) is killed at once: gone once it is reaped.
      await eventually(() => expect(redisServersIn(dataDir), 'redis-server stopped').to.deep.equal([]));
    });
  });
});
