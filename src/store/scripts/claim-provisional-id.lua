-- Turns a pending registration into an account and records the activation charge, once.
-- KEYS[1] pending registration hash   {m:<id>}:pending
-- KEYS[2] account hash                {m:<id>}:account
-- KEYS[3] member ledger list          {m:<id>}:ledger   (JSON entries, oldest first)
-- KEYS[4] call step marker            {m:<id>}:step:<CallSid>:activate
-- ARGV[1] formal ID reserved for this claim
-- ARGV[2] CallSid   ARGV[3] calling number   ARGV[4] amount   ARGV[5] currency
-- ARGV[6] now (ms)  ARGV[7] access period (ms)  ARGV[8] step marker ttl (s)
-- Returns: {1, formalId, accessExpiresAt, locale} activated now
--          {0, formalId, accessExpiresAt, locale} this call step already activated it (Twilio retry)
--          {-2, locale} already activated by another call
--          {-1} unknown or expired
-- (locale: the language the member chose when registering, so the call can switch to it.)
local done = redis.call('HMGET', KEYS[4], 'formalId', 'accessExpiresAt', 'locale')
if done[1] then
  return {0, done[1], done[2], done[3] or ''}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {-2, redis.call('HGET', KEYS[2], 'locale') or ''}
end
local pending = redis.call('HGETALL', KEYS[1])
if #pending == 0 then
  return {-1}
end
local now = tonumber(ARGV[6])
local expires = tostring(now + tonumber(ARGV[7]))
redis.call('HSET', KEYS[2], unpack(pending))
redis.call('HSET', KEYS[2], 'formalId', ARGV[1], 'activatedAt', ARGV[6], 'accessExpiresAt', expires,
  'activatedBy', ARGV[2], 'line', ARGV[3])
redis.call('RPUSH', KEYS[3], cjson.encode({kind = 'activation', amount = tonumber(ARGV[4]), currency = ARGV[5],
  callSid = ARGV[2], from = ARGV[3], at = now}))
local locale = redis.call('HGET', KEYS[1], 'locale') or ''
redis.call('HSET', KEYS[4], 'formalId', ARGV[1], 'accessExpiresAt', expires, 'locale', locale)
redis.call('EXPIRE', KEYS[4], ARGV[8])
redis.call('DEL', KEYS[1])
return {1, ARGV[1], expires, locale}
