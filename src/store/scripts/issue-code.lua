-- Creates a payment code record unless it already exists (a retry of the same purchase).
-- KEYS[1] code record hash            code:{<codeHash>}
-- ARGV[1] amount   ARGV[2] currency   ARGV[3] owner member ID   ARGV[4] merchant ID or ''
-- ARGV[5] expiry (ms)   ARGV[6] created (ms)   ARGV[7] last four digits   ARGV[8] delete after (ms, unix)
-- Returns: 1 created; 0 already there (left untouched, so a retry cannot refill a spent code)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'amount', ARGV[1], 'remaining', ARGV[1], 'currency', ARGV[2], 'owner', ARGV[3],
  'merchantId', ARGV[4], 'expiresAt', ARGV[5], 'createdAt', ARGV[6], 'last4', ARGV[7])
redis.call('PEXPIREAT', KEYS[1], ARGV[8])
return 1
