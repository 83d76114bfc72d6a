-- Ends an attempt taken by begin-merchant-post.lua: it is no longer in flight, and a failed
-- guess is counted in the window.
-- KEYS[1] merchant failure counter     {mer:<id>}:rl:failures
-- KEYS[2] attempts in flight           {mer:<id>}:rl:inflight
-- ARGV[1] '1' the attempt was a failed guess, '0' it was not   ARGV[2] failure window (s)
-- Returns: failures counted in this window
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
if ARGV[1] == '1' then
  local failures = redis.call('INCR', KEYS[1])
  if redis.call('TTL', KEYS[1]) < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[2])
  end
  return failures
end
return tonumber(redis.call('GET', KEYS[1]) or '0')
