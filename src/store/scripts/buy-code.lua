-- Charges one payment-code purchase to a member, once per call step, within the monthly cap.
-- Runs in the member's slot only; the code record is written afterwards by issue-code.lua.
-- KEYS[1] call step marker            {m:<id>}:step:<CallSid>:buy-<nonce>
-- KEYS[2] member ledger list          {m:<id>}:ledger   (JSON entries, oldest first)
-- KEYS[3] monthly spend counter       {m:<id>}:spend:<yyyy-mm>
-- ARGV[1] CallSid   ARGV[2] calling number   ARGV[3] amount   ARGV[4] currency   ARGV[5] now (ms)
-- ARGV[6] monthly cap   ARGV[7] spend counter ttl (s)   ARGV[8] step marker ttl (s)
-- ARGV[9] code hash   ARGV[10] encrypted code   ARGV[11] last four digits   ARGV[12] merchant ID or ''
-- ARGV[13] code expiry (ms)
-- Returns: {1, codeHash, encryptedCode, amount, merchantId, expiresAt, last4} charged now
--          {0, ...same fields as stored by the first request} this step already bought (Twilio retry)
--          {-5, remaining allowance this month} the purchase would pass the cap
local FIELDS = {'codeHash', 'code', 'amount', 'merchantId', 'expiresAt', 'last4'}
local done = redis.call('HMGET', KEYS[1], unpack(FIELDS))
if done[1] then
  return {0, done[1], done[2], done[3], done[4], done[5], done[6]}
end
local amount = tonumber(ARGV[3])
local cap = tonumber(ARGV[6])
local spent = tonumber(redis.call('GET', KEYS[3]) or '0')
if spent + amount > cap then
  return {-5, tostring(math.max(0, cap - spent))}
end
redis.call('INCRBY', KEYS[3], amount)
redis.call('EXPIRE', KEYS[3], ARGV[7])
redis.call('RPUSH', KEYS[2], cjson.encode({kind = 'code_purchase', amount = amount, currency = ARGV[4],
  callSid = ARGV[1], from = ARGV[2], at = tonumber(ARGV[5]), codeLast4 = ARGV[11]}))
redis.call('HSET', KEYS[1], 'codeHash', ARGV[9], 'code', ARGV[10], 'amount', ARGV[3],
  'merchantId', ARGV[12], 'expiresAt', ARGV[13], 'last4', ARGV[11])
redis.call('EXPIRE', KEYS[1], ARGV[8])
return {1, ARGV[9], ARGV[10], ARGV[3], ARGV[12], ARGV[13], ARGV[11]}
