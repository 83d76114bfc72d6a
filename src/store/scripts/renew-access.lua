-- Extends a member's access by one period and records the renewal charge: once per call.
-- KEYS[1] account hash                {m:<id>}:account
-- KEYS[2] member ledger list          {m:<id>}:ledger   (JSON entries, oldest first)
-- KEYS[3] call step marker            {m:<id>}:step:<CallSid>:renew   ("<nonce>|<accessExpiresAt>")
-- ARGV[1] CallSid   ARGV[2] calling number   ARGV[3] amount   ARGV[4] currency
-- ARGV[5] now (ms)  ARGV[6] access period (ms)  ARGV[7] step marker ttl (s)
-- ARGV[8] renewal nonce: the consent the caller gave (the same nonce again is a Twilio retry)
-- Returns: {1, accessExpiresAt} renewed now
--          {0, accessExpiresAt} this consent already renewed (Twilio retry): replay, no charge
--          {-2, accessExpiresAt} this call already renewed under another consent: no charge
--          {-1} no such account
local done = redis.call('GET', KEYS[3])
if done then
  local sep = string.find(done, '|', 1, true)
  local nonce, expires = string.sub(done, 1, sep - 1), string.sub(done, sep + 1)
  if nonce == ARGV[8] then
    return {0, expires}
  end
  return {-2, expires}
end
local current = redis.call('HGET', KEYS[1], 'accessExpiresAt')
if not current then
  return {-1}
end
local now = tonumber(ARGV[5])
local from = math.max(now, tonumber(current))
local expires = tostring(from + tonumber(ARGV[6]))
redis.call('HSET', KEYS[1], 'accessExpiresAt', expires)
redis.call('RPUSH', KEYS[2], cjson.encode({kind = 'renewal', amount = tonumber(ARGV[3]), currency = ARGV[4],
  callSid = ARGV[1], from = ARGV[2], at = now}))
redis.call('SET', KEYS[3], ARGV[8] .. '|' .. expires, 'EX', ARGV[7])
return {1, expires}
