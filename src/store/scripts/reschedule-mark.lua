-- Moves (or drops) a member of a work index, unless it was marked again since the caller looked:
-- a worker that found a merchant's or a code's work done must not erase a newer mark.
-- KEYS[1] work index                  unsettled:{<shard>} | outbox-due:{merchants}   (member -> time due, ms)
-- ARGV[1] member   ARGV[2] the score the caller saw   ARGV[3] new score, or '' to drop the member
-- Returns: 1 moved or dropped; 0 left alone (marked again since, or already gone)
local marked = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not marked or tonumber(marked) > tonumber(ARGV[2]) then
  return 0
end
if ARGV[3] == '' then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
