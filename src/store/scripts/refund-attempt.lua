-- Hands back an attempt counted by take-attempt.lua when it turned out right.
-- KEYS[1] attempt counter
-- Returns: the attempts left counted (0 when the counter had already expired)
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local count = redis.call('DECR', KEYS[1])
if count <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
return count
