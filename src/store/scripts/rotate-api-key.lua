-- A merchant's API keys: a rotation, the end of an overlap, or the operator's reset, each in one
-- step so no key outlives what the caller decided.
--   rotate       a new key; the current one keeps working until ARGV[3] (the overlap). Only the
--                holder of the CURRENT key may rotate: a key in its overlap (perhaps leaked) may
--                not, or it could mint itself a fresh key and push the merchant's into overlap.
--   end-overlap  "revoke the old key now": the previous key stops at once (current key only).
--   reset        the operator's: a new key, and every older key stops at once.
-- KEYS[1] merchant hash               {mer:<id>}:merchant
-- ARGV[1] 'rotate' | 'end-overlap' | 'reset'
-- ARGV[2] the new key's keyed hash ('' for end-overlap)   ARGV[3] the old key works until (ms, rotate)
-- ARGV[4] now (ms)                   ARGV[5] keyed hash of the key the caller holds (rotate, end-overlap)
-- Returns: 1 done; -1 no such merchant; -2 the caller's key is not the current key
local current = redis.call('HGET', KEYS[1], 'apiKeyHash')
if not current then
  return -1
end
local mode = ARGV[1]
if mode ~= 'reset' and current ~= ARGV[5] then
  return -2
end
if mode == 'rotate' then
  redis.call('HSET', KEYS[1], 'apiKeyHash', ARGV[2], 'previousApiKeyHash', current, 'previousKeyUntil', ARGV[3], 'keyRotatedAt', ARGV[4])
elseif mode == 'end-overlap' then
  redis.call('HDEL', KEYS[1], 'previousApiKeyHash', 'previousKeyUntil')
else
  redis.call('HSET', KEYS[1], 'apiKeyHash', ARGV[2], 'keyRotatedAt', ARGV[4], 'keysResetAt', ARGV[4])
  redis.call('HDEL', KEYS[1], 'previousApiKeyHash', 'previousKeyUntil')
end
return 1
