-- Counts a phone PIN attempt before the PIN is checked, so simultaneous guesses cannot pass the
-- lock. A right PIN then resets the count (HSET pinFailures 0); a wrong one leaves it counted.
-- KEYS[1] account hash   {m:<id>}:account
-- ARGV[1] limit (wrong PINs in a row that lock phone use)
-- Returns: {1, attempts counted} may be checked
--          {-10} locked: not checked
--          {-1} no account
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {-1}
end
local count = redis.call('HINCRBY', KEYS[1], 'pinFailures', 1)
if count > tonumber(ARGV[1]) then
  redis.call('HINCRBY', KEYS[1], 'pinFailures', -1)
  return {-10}
end
return {1, count}
