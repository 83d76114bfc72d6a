-- Turns a pending registration into an account and records the activation charge, once.
-- KEYS[1..5], ARGV[1..17] the charge block (charge.lua); the step is activate; not capped
-- KEYS[6] pending registration hash   {m:<id>}:pending
-- KEYS[7] account hash                {m:<id>}:account
-- ARGV[18] formal ID reserved for this claim   ARGV[19] access period (ms)
-- Returns: {1, formalId, accessExpiresAt, locale} activated now
--          {0, formalId, accessExpiresAt, locale} this call step already activated it (Twilio retry)
--          {-2, locale} already activated by another call
--          {-1} unknown or expired
-- (locale: the language the member chose when registering, so the call can switch to it.)
--- @include "charge"
local pendingKey, accountKey = KEYS[CHARGE_KEYS + 1], KEYS[CHARGE_KEYS + 2]
local formalId, periodMs = ARGV[CHARGE_ARGS + 1], ARGV[CHARGE_ARGS + 2]
local done = charge_recall({'formalId', 'accessExpiresAt', 'locale'})
if done and done[1] then
  return {0, done[1], done[2], done[3] or ''}
end
if redis.call('EXISTS', accountKey) == 1 then
  return {-2, redis.call('HGET', accountKey, 'locale') or ''}
end
local pending = redis.call('HGETALL', pendingKey)
if #pending == 0 then
  return {-1}
end
local now = tonumber(ARGV[6])
local expires = tostring(now + tonumber(periodMs))
redis.call('HSET', accountKey, unpack(pending))
redis.call('HSET', accountKey, 'formalId', formalId, 'activatedAt', ARGV[6], 'accessExpiresAt', expires,
  'activatedBy', ARGV[2], 'line', ARGV[3])
charge_book()
local locale = redis.call('HGET', pendingKey, 'locale') or ''
charge_mark('formalId', formalId, 'accessExpiresAt', expires, 'locale', locale)
redis.call('DEL', pendingKey)
return {1, formalId, expires, locale}
