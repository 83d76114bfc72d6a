import type { RequestHandler } from 'express';
import type { Config } from './config.ts';
import type { RedisClient } from './store/redis.ts';

const PING_TIMEOUT_MS = 1000;

/**
 * GET /healthz: 200 when Redis answers PING within a second, 503 otherwise. It also says how
 * callers are charged (CHARGE_METHOD, and each kind's CHARGE_METHOD_<KIND>), so an operator can see
 * what a deployment tells callers.
 */
export function healthCheck(redis: RedisClient, charging: Config['charging']): RequestHandler {
  const chargeMethod = charging.defaultMethod ?? charging.methods.activation;
  const chargeMethods = charging.methods;
  return async (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([redis.ping(), timeout]);
      res.status(200).json({ status: 'ok', redis: 'up', chargeMethod, chargeMethods });
    } catch {
      res.status(503).json({ status: 'unavailable', redis: 'down', chargeMethod, chargeMethods });
    } finally {
      clearTimeout(timer);
    }
  };
}
