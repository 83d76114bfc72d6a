-- Expires one payment request whose time is up, writing payment_request.expired to the merchant's
-- outbox in the same step. Run by the background worker for requests due in the pending set.
-- Includes outbox-lib.lua (outbox_emit).
-- KEYS[1] payment request hash        {mer:<id>}:preq:<requestId>
-- KEYS[2] pending requests            {mer:<id>}:preq:pending   (request ID -> expiry, ms)
-- KEYS[3] merchant hash               {mer:<id>}:merchant
-- KEYS[4..6] outbox, its order and due sets   {mer:<id>}:outbox, :outbox:order, :outbox:due
-- ARGV[1] request ID   ARGV[2] now (ms)   ARGV[3] now (ISO 8601)   ARGV[4] event ID   ARGV[5] recheck a claimed one at (ms)
-- Returns: 1 expired now; 0 not pending any more (dropped from the set); 2 not yet due;
--          3 a call is deciding it (claimed, due or not): looked at again at ARGV[5]
--- @include "outbox-lib"
local h = redis.call('HMGET', KEYS[1], 'status', 'expiresAt', 'view', 'webhookUrl')
if not h[1] or (h[1] ~= 'pending' and h[1] ~= 'claimed') then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
local now = tonumber(ARGV[2])
if h[1] == 'claimed' then
  -- The call that claimed it approves (the member is being charged) or releases it; if that call
  -- has ended (its status callback brought the request forward), the worker settles it (3).
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
  return 3
end
if now < tonumber(h[2]) then
  redis.call('ZADD', KEYS[2], h[2], ARGV[1])
  return 2
end
redis.call('HSET', KEYS[1], 'status', 'expired')
redis.call('ZREM', KEYS[2], ARGV[1])
local view = cjson.decode(h[3])
view.status = 'expired'
outbox_emit(KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[4], 'payment_request.expired', ARGV[3], view, h[4] or '', now)
return 1
