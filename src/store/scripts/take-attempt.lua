-- Counts one guessing attempt BEFORE the expensive work, and decides in the same atomic step
-- whether it may go ahead; or gives a counted attempt back. A fixed window starts with the first
-- attempt. Attempts that are refused are not counted, so the counter never passes the limit and a
-- refund always frees exactly one slot.
-- KEYS[1] attempt counter (e.g. login-fail:{<formal ID>}, login-fail-ip:{<address>}, register-ip:{<address>})
-- ARGV[1] 'take' | 'refund'
-- ARGV[2] window (s)            (take only)
-- ARGV[3] attempts allowed in the window   (take only)
-- Returns: take   -> {1, attempts counted so far, seconds until the window resets}   go ahead
--                    {0, attempts counted so far, seconds until the window resets}   refused
--          refund -> {1, attempts left counted, seconds left} (nothing happens when the window has ended)
--- @include "attempt-refund"
if ARGV[1] == 'refund' then
  return attempt_refund(KEYS[1])
end
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], window)
  ttl = window
end
if count > limit then
  redis.call('DECR', KEYS[1])
  return {0, count - 1, ttl}
end
return {1, count, ttl}
