-- Counts one failed attempt in a fixed window that starts with the first failure.
-- KEYS[1] failure counter
-- ARGV[1] window (s)
-- Returns: {failures so far, seconds until the window resets}
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return {count, redis.call('TTL', KEYS[1])}
