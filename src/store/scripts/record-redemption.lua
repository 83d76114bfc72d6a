-- Books a redemption (or its void) in the merchant's own slot, once per redemption ID: the index
-- that finds a redemption's code for a void, the per-day settlement totals, and the webhook event
-- (redemption.created / redemption.voided) in the merchant's outbox. With an Idempotency-Key,
-- the merchant's answer is stored in the same step, so booking and answer cannot part.
-- A redemption request's guessing attempt (begin-merchant-post.lua) ends here too: it succeeded,
-- so it leaves the in-flight count, and the request needs no command of its own for that.
-- Includes outbox-lib.lua (outbox_emit). Called with 8 or 9 keys (numkeys is passed per call):
-- KEYS[1] merchant redemptions hash   {mer:<id>}:redemptions   (redemption ID -> JSON)
-- KEYS[2] merchant settlement hash    {mer:<id>}:settlement    (<yyyy-mm-dd>:<redeemed|count|voided|adjusted> -> total)
-- Settlement days close when they end (TIME_ZONE): a void made on the redemption's own day counts
-- as `voided` on that day; a void made on a later day never changes the closed day: it is booked
-- as `adjusted` on the void's own day (the current period), and the record keeps that day.
-- KEYS[3] merchant hash               {mer:<id>}:merchant      (webhook URL)
-- KEYS[4..6] outbox, its order and due sets   {mer:<id>}:outbox, :outbox:order, :outbox:due
-- KEYS[7] attempts in flight          {mer:<id>}:rl:inflight
-- KEYS[8] redemptions in order       {mer:<id>}:redemptions:order (redemption ID -> redeemed at, ms; the merchant dashboard's list)
-- KEYS[9] Idempotency-Key record      {mer:<id>}:idem:<digest> (only when the request has a key)
-- ARGV[1] 'redeem' or 'void'   ARGV[2] redemption ID
-- ARGV[3] JSON record (redeem), or for a void {"day": <the void's calendar day>} ('' : the redemption's day)
-- ARGV[4] event ID   ARGV[5] now (ISO 8601)   ARGV[6] now (ms)   ARGV[7] currency
-- ARGV[8] '1' this booking ends a limited attempt (take it off the in-flight count), '0' not
-- ARGV[9] the Idempotency-Key record with the answer   ARGV[10] how long to keep it (s)   (with KEYS[9])
-- Returns: 1 booked now; 0 already booked; -1 void of an unknown redemption
--- @include "outbox-lib"
local function keepAnswer()
  if ARGV[8] == '1' and tonumber(redis.call('GET', KEYS[7]) or '0') > 0 then
    redis.call('DECR', KEYS[7])
  end
  if KEYS[9] then
    redis.call('SET', KEYS[9], ARGV[9], 'EX', ARGV[10])
  end
end
local function report(eventType, r, status)
  outbox_emit(KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[4], eventType, ARGV[5],
    {redemptionId = ARGV[2], status = status, amount = r.amount, currency = ARGV[7], orderId = r.orderId or '',
     redeemedAt = r.atIso or ''}, '', tonumber(ARGV[6]))
end
if ARGV[1] == 'redeem' then
  if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then
    keepAnswer()
    return 0
  end
  local r = cjson.decode(ARGV[3])
  redis.call('HINCRBY', KEYS[2], r.day .. ':redeemed', r.amount)
  redis.call('HINCRBY', KEYS[2], r.day .. ':count', 1)
  redis.call('ZADD', KEYS[8], r.at, ARGV[2])
  report('redemption.created', r, 'redeemed')
  keepAnswer()
  return 1
end
local stored = redis.call('HGET', KEYS[1], ARGV[2])
if not stored then
  return -1
end
local r = cjson.decode(stored)
if r.voided then
  keepAnswer()
  return 0
end
r.voided = true
local voidDay = r.day
if ARGV[3] ~= '' then
  voidDay = cjson.decode(ARGV[3]).day or r.day
end
if voidDay == r.day then
  redis.call('HINCRBY', KEYS[2], r.day .. ':voided', r.amount)
else
  -- The redemption's day has closed: an adjustment in the current period, never a rewrite.
  r.adjustedOn = voidDay
  redis.call('HINCRBY', KEYS[2], voidDay .. ':adjusted', r.amount)
end
redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(r))
report('redemption.voided', r, 'voided')
keepAnswer()
return 1
