-- outbox-lib: included (`--- @include "outbox-lib"`, see redis.ts) by every script that reports a change to a merchant, so
-- the event is written in the same atomic step as the change. Events live in the merchant's slot:
--   {mer:<id>}:outbox        hash  b:<eventId> -> body (JSON, as POSTed)   s:<eventId> -> delivery state (JSON)   seq -> counter
--   {mer:<id>}:outbox:order   zset  eventId -> seq (the delivery log, oldest first)
--   {mer:<id>}:outbox:due     zset  eventId -> when the next attempt is due (ms); claimed ones: when the claim lapses
-- An event is written only when it has somewhere to go: the request's own URL, or the merchant's.
local OUTBOX_KEEP = 10000
local function outbox_emit(merchantKey, outbox, order, due, id, eventType, createdIso, data, url, now)
  if url == nil or url == '' then
    url = ''
    local merchantUrl = redis.call('HGET', merchantKey, 'webhookUrl')
    if not merchantUrl or merchantUrl == '' then
      return 0
    end
  end
  local seq = redis.call('HINCRBY', outbox, 'seq', 1)
  local body = cjson.encode({id = id, type = eventType, createdAt = createdIso, data = data})
  local state = {type = eventType, createdAt = now, status = 'pending', attempts = 0, url = url, seq = seq, nextAttemptAt = now}
  redis.call('HSET', outbox, 'b:' .. id, body, 's:' .. id, cjson.encode(state))
  redis.call('ZADD', order, seq, id)
  redis.call('ZADD', due, now, id)
  -- The log is bounded: past OUTBOX_KEEP events the oldest finished one goes.
  if redis.call('ZCARD', order) > OUTBOX_KEEP then
    local oldest = redis.call('ZRANGE', order, 0, 0)[1]
    local old = redis.call('HGET', outbox, 's:' .. oldest)
    if not old or cjson.decode(old).status ~= 'pending' then
      redis.call('ZREM', order, oldest)
      redis.call('HDEL', outbox, 'b:' .. oldest, 's:' .. oldest)
    end
  end
  return 1
end
