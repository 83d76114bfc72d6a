-- Takes an amount off a payment code: every check and the debit in one step, so concurrent
-- redemptions can never spend more than the balance. In the same step the redemption is written
-- to the code's unsettled outbox, from which it is booked for the merchant (record-redemption.lua
-- in the merchant's slot) exactly once: by the request itself, or after a crash by the
-- reconciler. A debit can therefore never be missing from the merchant's settlement for longer
-- than the reconciler takes to find it.
-- KEYS[1] code record hash            code:{<codeHash>}
-- KEYS[2] code redemptions hash       code:{<codeHash>}:redemptions   (redemption ID -> JSON)
-- KEYS[3] code unsettled outbox       code:{<codeHash>}:unsettled     (redemption ID | void:<ID> -> JSON)
-- ARGV[1] redemption ID   ARGV[2] merchant ID   ARGV[3] amount   ARGV[4] now (ms)   ARGV[5] order ID or ''
-- ARGV[6] code hash   ARGV[7] calendar day of now (yyyy-mm-dd, TIME_ZONE)
-- ARGV[8] void window (ms; optional, default 0): the code's redemption records are kept as long as
--         the code record (its expiry plus the retention purchase.ts gives it) or until the
--         window after this redemption ends, whichever is later; then they go with the code
-- Returns: {1, remaining, currency} redeemed now
--          {0, remaining after it, currency, amount, at, day} this redemption ID was already redeemed (retry)
--          {-1} no such code   {-6} expired   {-7} restricted to another merchant
--          {-8, 0} nothing left   {-4, remaining} less left than asked
local previous = redis.call('HGET', KEYS[2], ARGV[1])
if previous then
  local r = cjson.decode(previous)
  return {0, tostring(r.remainingAfter), r.currency, tostring(r.amount), tostring(r.at), r.day or ''}
end
local code = redis.call('HMGET', KEYS[1], 'remaining', 'expiresAt', 'merchantId', 'currency')
if not code[1] then
  return {-1}
end
local now = tonumber(ARGV[4])
if now >= tonumber(code[2]) then
  return {-6}
end
if code[3] ~= '' and code[3] ~= ARGV[2] then
  return {-7}
end
local remaining = tonumber(code[1])
local amount = tonumber(ARGV[3])
if remaining <= 0 then
  return {-8, '0'}
end
if amount > remaining then
  return {-4, tostring(remaining)}
end
local after = redis.call('HINCRBY', KEYS[1], 'remaining', -amount)
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({merchantId = ARGV[2], amount = amount, at = now,
  orderId = ARGV[5], remainingAfter = after, currency = code[4], day = ARGV[7]}))
redis.call('HSET', KEYS[3], ARGV[1], cjson.encode({kind = 'redeem', redemptionId = ARGV[1], merchantId = ARGV[2],
  codeHash = ARGV[6], amount = amount, at = now, day = ARGV[7], orderId = ARGV[5]}))
local recordTtl = redis.call('PTTL', KEYS[1])
if recordTtl >= 0 then
  local keep = math.max(recordTtl, tonumber(ARGV[8]) or 0)
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < keep then
    redis.call('PEXPIRE', KEYS[2], keep)
  end
end
return {1, tostring(after), code[4]}
