-- Drops a code from a reconciler shard once its unsettled outbox was found empty, unless a
-- redemption marked it again since the reconciler looked (a newer score).
-- KEYS[1] reconciler shard            unsettled:{<shard>}   (code hash -> time marked, ms)
-- ARGV[1] code hash   ARGV[2] the newest mark the reconciler saw as handled (ms)
-- Returns: 1 dropped; 0 kept (marked again, or already gone)
local marked = redis.call('ZSCORE', KEYS[1], ARGV[1])
if marked and tonumber(marked) <= tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
