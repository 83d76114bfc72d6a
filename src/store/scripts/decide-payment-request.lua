-- Moves a payment request through its states. A call first claims it (so no two members can be
-- charged for it), then approves (after the charge) or releases it (charge refused); or declines.
-- Approving and declining write the payment_request.approved / .declined event to the merchant's
-- outbox in the same step, and an approval is booked to the merchant's settlement on its day
-- (what the merchant is owed), once; a demo approval (ARGV[9] '0': the member was charged nothing)
-- is owed to no one and not booked. The request lives in its merchant's slot.
-- Includes outbox-lib.lua (outbox_emit).
-- KEYS[1] payment request hash        {mer:<id>}:preq:<requestId>
-- KEYS[2] pending requests            {mer:<id>}:preq:pending   (request ID -> expiry, ms)
-- KEYS[3] merchant hash               {mer:<id>}:merchant
-- KEYS[4..6] outbox, its order and due sets   {mer:<id>}:outbox, :outbox:order, :outbox:due
-- KEYS[7] merchant's settlement totals      {mer:<id>}:settlement   (<day>:approvals, <day>:approved)
-- ARGV[1] 'claim' | 'approve' | 'decline' | 'release'   ARGV[2] member ID   ARGV[3] CallSid   ARGV[4] now (ms)
-- ARGV[5] request ID   ARGV[6] event ID   ARGV[7] now (ISO 8601)   ARGV[8] today (YYYY-MM-DD, TIME_ZONE)
-- ARGV[9] '1' the approval's charge is collected (owed to the merchant), '0' a demo (CHARGE_METHOD_APPROVALS=none)
-- Returns: {1, status} changed now; {0, status} this call already did it (retry)
--          {-1} no such request   {-6} expired   {-2, status} decided or claimed by someone else
--- @include "outbox-lib"
local r = redis.call('HMGET', KEYS[1], 'status', 'expiresAt', 'claimedBy', 'claimCall')
if not r[1] then
  return {-1}
end
local status, mine = r[1], (r[3] == ARGV[2] and r[4] == ARGV[3])
local action = ARGV[1]
local now = tonumber(ARGV[4])
local function decided(newStatus)
  redis.call('ZREM', KEYS[2], ARGV[5])
  local h = redis.call('HMGET', KEYS[1], 'view', 'webhookUrl')
  local view = cjson.decode(h[1])
  view.status = newStatus
  view.decidedAt = ARGV[7]
  outbox_emit(KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[6], 'payment_request.' .. newStatus, ARGV[7], view, h[2] or '', now)
end
-- Expired by the worker's sweep: a call that comes too late hears it is expired.
if status == 'expired' and (action == 'claim' or action == 'decline') then
  return {-6}
end
if action == 'claim' then
  if status == 'claimed' and mine then return {0, status} end
  if status ~= 'pending' then return {mine and 0 or -2, status} end
  if now >= tonumber(r[2]) then return {-6} end
  redis.call('HSET', KEYS[1], 'status', 'claimed', 'claimedBy', ARGV[2], 'claimCall', ARGV[3])
  return {1, 'claimed'}
end
if action == 'approve' then
  if status == 'approved' and mine then return {0, status} end
  if status ~= 'claimed' or not mine then return {-2, status} end
  redis.call('HSET', KEYS[1], 'status', 'approved', 'decidedAt', ARGV[4])
  if ARGV[9] == '1' then
    redis.call('HINCRBY', KEYS[7], ARGV[8] .. ':approvals', 1)
    redis.call('HINCRBY', KEYS[7], ARGV[8] .. ':approved', redis.call('HGET', KEYS[1], 'amount'))
  end
  decided('approved')
  return {1, 'approved'}
end
if action == 'release' then
  if status ~= 'claimed' or not mine then return {0, status} end
  redis.call('HSET', KEYS[1], 'status', 'pending')
  redis.call('HDEL', KEYS[1], 'claimedBy', 'claimCall')
  return {1, 'pending'}
end
-- decline
if status == 'declined' and mine then return {0, status} end
if not (status == 'pending' or (status == 'claimed' and mine)) then return {-2, status} end
if status == 'pending' and now >= tonumber(r[2]) then return {-6} end
redis.call('HSET', KEYS[1], 'status', 'declined', 'decidedAt', ARGV[4], 'claimedBy', ARGV[2], 'claimCall', ARGV[3])
decided('declined')
return {1, 'declined'}
