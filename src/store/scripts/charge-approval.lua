-- Charges an approved payment request to a member, once per call step, within the monthly cap.
-- KEYS[1] call step marker            {m:<id>}:step:<CallSid>:approve-<requestId>
-- KEYS[2] member ledger list          {m:<id>}:ledger   (JSON entries, oldest first)
-- KEYS[3] monthly spend counter       {m:<id>}:spend:<yyyy-mm>
-- ARGV[1] CallSid   ARGV[2] calling number   ARGV[3] amount   ARGV[4] currency   ARGV[5] now (ms)
-- ARGV[6] monthly cap   ARGV[7] spend counter ttl (s)   ARGV[8] step marker ttl (s)   ARGV[9] request ID
-- Returns: {1} charged now; {0} already charged in this step (retry); {-5, remaining allowance} over the cap
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0}
end
local amount = tonumber(ARGV[3])
local cap = tonumber(ARGV[6])
local spent = tonumber(redis.call('GET', KEYS[3]) or '0')
if spent + amount > cap then
  return {-5, tostring(math.max(0, cap - spent))}
end
redis.call('INCRBY', KEYS[3], amount)
redis.call('EXPIRE', KEYS[3], ARGV[7])
redis.call('RPUSH', KEYS[2], cjson.encode({kind = 'payment_approval', amount = amount, currency = ARGV[4],
  callSid = ARGV[1], from = ARGV[2], at = tonumber(ARGV[5]), paymentRequest = ARGV[9]}))
redis.call('SET', KEYS[1], ARGV[9], 'EX', ARGV[8])
return {1}
