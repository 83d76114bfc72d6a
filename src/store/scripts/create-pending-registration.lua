-- Stores a new pending registration unless its member ID is already taken.
-- KEYS[1] pending registration hash   {m:<id>}:pending
-- KEYS[2] account hash                {m:<id>}:account
-- ARGV[1] ttl seconds
-- ARGV[2..] field, value pairs
-- Returns: 1 stored; -3 the member ID is taken (caller picks another)
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then
  return -3
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
