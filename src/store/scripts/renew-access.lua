-- Extends a member's access by one period and records the renewal charge: once per call.
-- KEYS[1..5], ARGV[1..17] the charge block (charge.lua); the step is renew; not capped
-- KEYS[6] account hash                {m:<id>}:account
-- ARGV[18] access period (ms)
-- ARGV[19] renewal nonce: the consent the caller gave (the same nonce again is a Twilio retry)
-- Returns: {1, accessExpiresAt} renewed now
--          {0, accessExpiresAt} this consent already renewed (Twilio retry): replay, no charge
--          {-2, accessExpiresAt} this call already renewed under another consent: no charge
--          {-1} no such account
--- @include "charge"
local accountKey = KEYS[CHARGE_KEYS + 1]
local periodMs, nonce = ARGV[CHARGE_ARGS + 1], ARGV[CHARGE_ARGS + 2]
local done = charge_recall({'nonce', 'accessExpiresAt'})
if done and done[1] then
  if done[1] == nonce then
    return {0, done[2]}
  end
  return {-2, done[2]}
end
local current = redis.call('HGET', accountKey, 'accessExpiresAt')
if not current then
  return {-1}
end
local now = tonumber(ARGV[6])
local from = math.max(now, tonumber(current))
local expires = tostring(from + tonumber(periodMs))
redis.call('HSET', accountKey, 'accessExpiresAt', expires)
charge_book()
charge_mark('nonce', nonce, 'accessExpiresAt', expires)
return {1, expires}
