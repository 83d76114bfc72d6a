-- Opens a merchant request in one step in the merchant's slot: replays an answer already stored
-- under its Idempotency-Key, takes one attempt from the guessing allowance, and claims the key.
-- The allowance is decided before the attempt, counting the failures of the window AND the
-- attempts still in flight, so a burst of parallel guesses cannot all pass a check that has not
-- counted its neighbours yet. settle-attempt.lua ends the attempt (a failure or not).
-- Called with 2 or 3 keys (numkeys is passed per call):
-- KEYS[1] merchant failure counter     {mer:<id>}:rl:failures   (fixed window)
-- KEYS[2] attempts in flight           {mer:<id>}:rl:inflight
-- KEYS[3] Idempotency-Key record       {mer:<id>}:idem:<digest>   (only when the request has a key)
-- ARGV[1] failures allowed per window ('' = this request is not limited)   ARGV[2] in-flight ttl (s)
-- ARGV[3] the claim to store: JSON {fingerprint, op}   ARGV[4] how long to keep it (s)   (with KEYS[3])
-- Returns: {1} go ahead (an attempt was taken when limited; the key, if any, is now claimed by ARGV[3])
--          {0, record} the key was claimed before: its JSON record. With the stored answer in it no
--                      attempt was taken; without one, an attempt was taken when limited
--          {-10, seconds} refused: the allowance is used up, by failures (seconds until the window
--                      resets) or by attempts in flight (1)
local stored = false
if KEYS[3] then
  stored = redis.call('GET', KEYS[3])
  -- A stored answer is replayed even while blocked: it reveals nothing new.
  if stored and cjson.decode(stored).response then
    return {0, stored}
  end
end
if ARGV[1] ~= '' then
  local allowed = tonumber(ARGV[1])
  local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
  if failures >= allowed then
    return {-10, redis.call('TTL', KEYS[1])}
  end
  local inflight = tonumber(redis.call('GET', KEYS[2]) or '0')
  if failures + inflight >= allowed then
    return {-10, 1}
  end
  redis.call('INCR', KEYS[2])
  -- Attempts of a process that died are never settled: they fall away with this ttl.
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
if stored then
  return {0, stored}
end
if KEYS[3] then
  redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
end
return {1}
