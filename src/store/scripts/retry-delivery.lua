-- A merchant asks for one more attempt at an event that was delivered or has failed.
-- KEYS[1] outbox hash                 {mer:<id>}:outbox
-- KEYS[2] due set                     {mer:<id>}:outbox:due
-- ARGV[1] event ID   ARGV[2] now (ms)
-- Returns: {1, state} due now (one attempt; a failure marks it failed again)
--          {-1} no such event   {-2, state} it is still being delivered
local stateJson = redis.call('HGET', KEYS[1], 's:' .. ARGV[1])
if not stateJson then
  return {-1}
end
local state = cjson.decode(stateJson)
if state.status == 'pending' then
  return {-2, stateJson}
end
state.status = 'pending'
state.manual = true
state.nextAttemptAt = tonumber(ARGV[2])
stateJson = cjson.encode(state)
redis.call('HSET', KEYS[1], 's:' .. ARGV[1], stateJson)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return {1, stateJson}
