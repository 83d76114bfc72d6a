-- Books a redemption (or its void) in the merchant's own slot, once per redemption ID: the index
-- that finds a redemption's code for a void, and the per-day settlement totals. With an
-- Idempotency-Key, the merchant's answer is stored in the same step, so booking and answer
-- cannot part.
-- Called with 2 or 3 keys (numkeys is passed per call):
-- KEYS[1] merchant redemptions hash   {mer:<id>}:redemptions   (redemption ID -> JSON)
-- KEYS[2] merchant settlement hash    {mer:<id>}:settlement    (<yyyy-mm-dd>:<redeemed|count|voided> -> total)
-- KEYS[3] Idempotency-Key record      {mer:<id>}:idem:<digest> (only when the request has a key)
-- ARGV[1] 'redeem' or 'void'   ARGV[2] redemption ID   ARGV[3] JSON record (redeem) or ''
-- ARGV[4] the Idempotency-Key record with the answer   ARGV[5] how long to keep it (s)   (with KEYS[3])
-- Returns: 1 booked now; 0 already booked; -1 void of an unknown redemption
local function keepAnswer()
  if KEYS[3] then
    redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[5])
  end
end
if ARGV[1] == 'redeem' then
  if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then
    keepAnswer()
    return 0
  end
  local r = cjson.decode(ARGV[3])
  redis.call('HINCRBY', KEYS[2], r.day .. ':redeemed', r.amount)
  redis.call('HINCRBY', KEYS[2], r.day .. ':count', 1)
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
redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(r))
redis.call('HINCRBY', KEYS[2], r.day .. ':voided', r.amount)
keepAnswer()
return 1
