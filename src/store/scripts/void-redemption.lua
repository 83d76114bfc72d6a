-- Puts a redemption's amount back on its code, once, if the redeeming merchant asks within the
-- window; in the same step the void goes to the code's unsettled outbox (see redeem-code.lua).
-- KEYS[1] code record hash            code:{<codeHash>}
-- KEYS[2] code redemptions hash       code:{<codeHash>}:redemptions
-- KEYS[3] code unsettled outbox       code:{<codeHash>}:unsettled
-- ARGV[1] redemption ID   ARGV[2] merchant ID   ARGV[3] now (ms)   ARGV[4] void window (ms)
-- ARGV[5] today's calendar day (TIME_ZONE): the settlement day the void is booked on
-- Returns: {1, remaining, amount, currency} voided now
--          {0, remaining, amount, currency} already voided (retry)
--          {-1} no such redemption for this merchant   {-9} the void window has passed
local stored = redis.call('HGET', KEYS[2], ARGV[1])
if not stored then
  return {-1}
end
local r = cjson.decode(stored)
if r.merchantId ~= ARGV[2] then
  return {-1}
end
if r.voidedAt then
  return {0, redis.call('HGET', KEYS[1], 'remaining') or '0', tostring(r.amount), r.currency}
end
local now = tonumber(ARGV[3])
if now > r.at + tonumber(ARGV[4]) then
  return {-9}
end
local remaining = redis.call('HINCRBY', KEYS[1], 'remaining', r.amount)
r.voidedAt = now
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(r))
redis.call('HSET', KEYS[3], 'void:' .. ARGV[1], cjson.encode({kind = 'void', redemptionId = ARGV[1], merchantId = ARGV[2], at = now, day = ARGV[5]}))
return {1, tostring(remaining), tostring(r.amount), r.currency}
