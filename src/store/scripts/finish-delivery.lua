-- Records one delivery attempt of a claimed event: delivered, to be retried, or failed for good.
-- Ignored when the claim is no longer this worker's (it lapsed and another worker took the event).
-- KEYS[1] outbox hash                 {mer:<id>}:outbox
-- KEYS[2] due set                     {mer:<id>}:outbox:due
-- ARGV[1] event ID   ARGV[2] claim token   ARGV[3] 'delivered' | 'retry' | 'failed'
-- ARGV[4] HTTP status (0: none)   ARGV[5] error ('' none)   ARGV[6] next attempt (ms, with 'retry')   ARGV[7] now (ms)
-- Returns: 1 recorded; 0 not this worker's claim; -1 no such event
local stateJson = redis.call('HGET', KEYS[1], 's:' .. ARGV[1])
if not stateJson then
  return -1
end
local state = cjson.decode(stateJson)
if state.claim ~= ARGV[2] then
  return 0
end
state.claim = nil
state.manual = nil
state.attempts = state.attempts + 1
state.lastAttemptAt = tonumber(ARGV[7])
state.lastResponseStatus = tonumber(ARGV[4])
state.lastError = ARGV[5]
if ARGV[3] == 'retry' then
  state.status = 'pending'
  state.nextAttemptAt = tonumber(ARGV[6])
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
else
  state.status = ARGV[3]
  state.nextAttemptAt = nil
  redis.call('ZREM', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], 's:' .. ARGV[1], cjson.encode(state))
return 1
