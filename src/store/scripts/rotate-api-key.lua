-- Gives a merchant a new API key while the old one keeps working for an overlap period, so the
-- merchant can roll the new key out without a moment where nothing works. Only the current key
-- becomes the previous one: rotating twice ends the first key's overlap at once.
-- KEYS[1] merchant hash               {mer:<id>}:merchant
-- ARGV[1] the new key's keyed hash   ARGV[2] the old key works until (ms)   ARGV[3] now (ms)
-- Returns: 1 rotated; -1 no such merchant
local current = redis.call('HGET', KEYS[1], 'apiKeyHash')
if not current then
  return -1
end
redis.call('HSET', KEYS[1], 'apiKeyHash', ARGV[1], 'previousApiKeyHash', current, 'previousKeyUntil', ARGV[2], 'keyRotatedAt', ARGV[3])
return 1
