-- Counts an attempt BEFORE it is tried, and says whether it may be tried: a burst of
-- simultaneous attempts can never get past the limit, since each one is counted as it asks.
-- A right answer hands its attempt back with refund-attempt.lua.
-- KEYS[1] attempt counter (fixed window that starts with the first attempt)
-- ARGV[1] limit   ARGV[2] window (s)
-- Returns: {1, attempts so far} may be tried
--          {-10, seconds until the window resets} over the limit: not tried, not counted
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
if count > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return {-10, redis.call('TTL', KEYS[1])}
end
return {1, count}
