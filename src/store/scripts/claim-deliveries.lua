-- Claims a merchant's webhook deliveries that are due, for one worker: each claimed event's due
-- time moves to when the claim lapses, so a worker that dies leaves it to be claimed again, and
-- two workers never hold one event at once.
-- KEYS[1] outbox hash                 {mer:<id>}:outbox
-- KEYS[2] due set                     {mer:<id>}:outbox:due
-- KEYS[3] merchant hash               {mer:<id>}:merchant   (webhook URL and secret)
-- ARGV[1] now (ms)   ARGV[2] claim lasts (ms)   ARGV[3] at most this many   ARGV[4] claim token
-- Returns: {{eventId, body, url, secret, attempts so far, '1' if a one-off manual retry else '0'}, ...}
local now = tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local merchant = redis.call('HMGET', KEYS[3], 'webhookUrl', 'webhookSecret')
local claimed = {}
for _, id in ipairs(ids) do
  local stateJson = redis.call('HGET', KEYS[1], 's:' .. id)
  local body = redis.call('HGET', KEYS[1], 'b:' .. id)
  if not stateJson or not body then
    redis.call('ZREM', KEYS[2], id)
  else
    local state = cjson.decode(stateJson)
    state.claim = ARGV[4]
    redis.call('HSET', KEYS[1], 's:' .. id, cjson.encode(state))
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)
    local url = state.url
    if not url or url == '' then url = merchant[1] or '' end
    table.insert(claimed, {id, body, url, merchant[2] or '', tostring(state.attempts), state.manual and '1' or '0'})
  end
end
return claimed
