import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startManagedRedis, type ManagedRedis } from '../../scripts/lib/managed-redis.ts';
import { readLedger } from '../../src/accounts/ledger.ts';
import { buildConfig } from '../../src/config.ts';
import { placeCall, type CallEvent } from '../../simulator/call.ts';
import { keys } from '../../src/store/keys.ts';
import { createRedisClient } from '../../src/store/redis.ts';
import { startAppProcess, type AppProcess } from './app-process.ts';
import { scriptedCaller } from './twiml-app.ts';

const AUTH_TOKEN = 'crash-test-auth-token-0123456789';
const PREFIX = 'crash:';

/** The formal ID as a caller writes it down: the number read out twice in the activation prompt. */
function formalIdHeard(events: CallEvent[]): string | undefined {
  const numbers = events.flatMap((e) => (e.type === 'say' ? e.numbers : []));
  return numbers.find((n, i) => numbers.indexOf(n) !== i);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Acknowledged {
  registrations: { provisionalId: string; password: string }[];
  activations: { provisionalId: string; formalId: string; callSid: string }[];
  logins: number;
  failedSteps: number;
}

export interface CrashPlan {
  /** How long the stream of members runs. */
  seconds: number;
  workers: number;
  /** When (seconds into the stream) to SIGKILL what; each is restarted at once. */
  kills: { at: number; what: 'app' | 'redis' }[];
}

/**
 * The member side under kill -9: a stream of people registering on the web, activating by a
 * simulated call (placeCall with a scripted caller, through the app's real webhooks) and logging
 * in, while the app process and then redis-server (its own, AOF on, fsync always) are SIGKILLed
 * and restarted. Afterwards every acknowledged registration and activation must be there, once.
 */
export function memberCrashStory(plan: CrashPlan) {
  return function (this: Mocha.Suite) {
    this.timeout((plan.seconds + 120) * 1000);
    let dataDir: string;
    let redis: ManagedRedis;
    let app: AppProcess;
    let env: Record<string, string>;
    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'dialpass-crash-'));
      redis = await startManagedRedis({ dataDir, persistent: true, appendfsync: 'always', log: () => undefined });
      const port = await freePort();
      env = {
        REDIS_URL: redis.url,
        // Its own redis-server, even when the suite runs on a cluster (npm run test:cluster).
        REDIS_CLUSTER_NODES: '',
        PORT: String(port),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        SERVICE_PHONE_NUMBER: '+815000001234',
        REDIS_KEY_PREFIX: PREFIX,
        REGISTRATIONS_PER_ADDRESS_PER_HOUR: '1000000',
        LINE_MAX_WRONG_ENTRIES_PER_DAY: '1000000',
        SHUTDOWN_TIMEOUT_MS: '2000',
        // The audit relay runs with the reconciler: often, so the check below need not wait long.
        RECONCILE_INTERVAL_MS: '1000',
      };
      app = await startAppProcess(env);
    });
    after(async () => {
      app?.child.kill('SIGTERM');
      await app?.exited;
      await redis?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const killList = plan.kills.map((k) => `${k.what} at ${k.at} s`).join(', ');
    it(`registrations and activations acknowledged while ${killList} were SIGKILLed are all there, each with one formal ID and one charge`, async () => {
      const ack: Acknowledged = { registrations: [], activations: [], logins: 0, failedSteps: 0 };
      const started = performance.now();
      const stopAt = started + plan.seconds * 1000;
      const running = () => performance.now() < stopAt;

      const post = async (path: string, body: unknown) => {
        const res = await fetch(`${app.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
        return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
      };

      const member = async (worker: number, n: number) => {
        let registration: { provisionalId: string; password: string } | undefined;
        try {
          const res = await post('/api/registrations', { name: `Crash ${worker}-${n}`, email: `crash${worker}.${n}@example.com` });
          if (res.status === 201) registration = { provisionalId: res.body.provisionalId, password: res.body.password };
        } catch {
          // the app is down: not acknowledged, nothing to check
        }
        if (!registration) {
          ack.failedSteps++;
          return sleep(200);
        }
        ack.registrations.push(registration);
        for (let attempt = 0; attempt < 6 && running(); attempt++) {
          try {
            const call = await placeCall(
              { baseUrl: env.PUBLIC_BASE_URL!, connectTo: app.url, authToken: AUTH_TOKEN, from: `+81901${String(worker).padStart(3, '0')}${String(n).padStart(4, '0')}`, to: '+815000001234', requestTimeoutMs: 8000 },
              scriptedCaller(['1', `${registration.provisionalId}#`]),
            );
            const formalId = formalIdHeard(call.events);
            if (formalId) {
              ack.activations.push({ provisionalId: registration.provisionalId, formalId, callSid: call.callSid });
              break;
            }
            // "already activated" after a lost answer, or an apology while Redis was down.
            const said = call.events.filter((e) => e.type === 'say').map((e) => (e as { text: string }).text).join(' ');
            if (/already|既に|すでに/.test(said)) break;
          } catch {
            // the app died mid-call
          }
          ack.failedSteps++;
          await sleep(300);
        }
        const activation = ack.activations.find((a) => a.provisionalId === registration.provisionalId);
        if (!activation) return;
        try {
          if ((await post('/api/login', { formalId: activation.formalId, password: registration.password })).status === 200) ack.logins++;
        } catch {
          ack.failedSteps++;
        }
      };

      const workers = Array.from({ length: plan.workers }, async (_, worker) => {
        for (let n = 0; running(); n++) await member(worker, n);
      });

      const killer = (async () => {
        for (const kill of plan.kills) {
          await sleep(Math.max(0, started + kill.at * 1000 - performance.now()));
          if (kill.what === 'app') {
            app.child.kill('SIGKILL');
            await app.exited;
            app = await startAppProcess(env);
          } else {
            process.kill(redis.pid, 'SIGKILL');
            await sleep(300);
            redis = await startManagedRedis({ dataDir, persistent: true, appendfsync: 'always', port: redis.port, log: () => undefined });
          }
        }
      })();
      await Promise.all([...workers, killer]);

      // Everything acknowledged, checked straight in Redis (the app's own key layout and prefix).
      const store = createRedisClient(buildConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: PREFIX }));
      try {
        const activated = new Map(ack.activations.map((a) => [a.provisionalId, a]));
        let pendingLeft = 0;
        for (const r of ack.registrations) {
          const [pending, account] = await Promise.all([store.exists(keys.pendingRegistration(r.provisionalId)), store.hgetall(keys.account(r.provisionalId))]);
          expect(pending === 1 || Boolean(account.formalId), `registration ${r.provisionalId} was acknowledged and is gone`).to.equal(true);
          if (!account.formalId) pendingLeft++;
          const a = activated.get(r.provisionalId);
          if (!a) continue;
          expect(account.formalId, `activation of ${r.provisionalId}`).to.equal(a.formalId);
          expect(await store.get(keys.formalIdIndex(a.formalId))).to.equal(r.provisionalId);
          const charges = (await readLedger(store, r.provisionalId)).filter((e) => e.kind === 'activation');
          expect(charges, `activation charges for ${r.provisionalId}`).to.have.length(1);
        }
        // No member anywhere holds two activation charges (also those whose answer was lost in a crash).
        const plain = new Redis(redis.url);
        let cursor = '0';
        let accounts = 0;
        do {
          const [next, found] = await plain.scan(cursor, 'MATCH', `${PREFIX}{m:*}:ledger`, 'COUNT', 1000);
          for (const key of found) {
            const memberId = /\{m:(\d+)\}/.exec(key)![1]!;
            const charges = (await readLedger(store, memberId)).filter((e) => e.kind === 'activation');
            expect(charges, `charges of ${memberId}`).to.have.length(1);
            accounts++;
          }
          cursor = next;
        } while (cursor !== '0');
        plain.disconnect();
        console.log(
          `      ${ack.registrations.length} registrations, ${ack.activations.length} activations, ${ack.logins} logins acknowledged; ` +
            `${accounts} accounts in Redis, ${pendingLeft} acknowledged registrations still pending; ${ack.failedSteps} steps failed during the kills; 0 lost`,
        );
        expect(ack.activations.length).to.be.greaterThan(plan.kills.length);
        // The operator's audit trail: one account.activated line per activated account, none lost
        // to a kill between the charge script and its recording (the relay writes it from the
        // member's audit outbox), none written twice (the app and the relay both trying).
        const relayed = async () => (await store.zcard(keys.auditOutboxes())) === 0;
        for (let waited = 0; !(await relayed()) && waited < 60_000; waited += 250) await sleep(250);
        expect(await relayed(), 'every audit outbox relayed').to.equal(true);
        const activatedLines = new Map<string, number>();
        for (const [, fields] of await store.xrange(keys.opsAudit(), '-', '+')) {
          if (fields[fields.indexOf('kind') + 1] !== 'account.activated') continue;
          const memberId = fields[fields.indexOf('member') + 1]!;
          activatedLines.set(memberId, (activatedLines.get(memberId) ?? 0) + 1);
        }
        expect([...activatedLines.values()].filter((n) => n !== 1), 'members with other than one audit line').to.deep.equal([]);
        expect(activatedLines.size, 'one audit line per activated account').to.equal(accounts);
        // Every acknowledged member can still log in after all the kills.
        for (const a of ack.activations) {
          const r = ack.registrations.find((x) => x.provisionalId === a.provisionalId)!;
          expect((await post('/api/login', { formalId: a.formalId, password: r.password })).status, `login of ${a.formalId}`).to.equal(200);
        }
      } finally {
        store.disconnect();
      }
    });
  };
}
