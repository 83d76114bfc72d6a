-- attempt-refund: gives one counted guessing attempt back. Included (`--- @include "attempt-refund"`,
-- see redis.ts) by take-attempt.lua and line-right-entry.lua, so the refund rule exists once.
-- Returns {1, attempts left counted, seconds left}; nothing happens when the window has ended.
local function attempt_refund(counter)
  if redis.call('EXISTS', counter) == 0 then
    return {1, 0, 0}
  end
  local left = redis.call('DECR', counter)
  return {1, left, redis.call('TTL', counter)}
end
