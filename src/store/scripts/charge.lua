-- charge: the one way a member is charged. Every script that charges includes it with the line
-- `--- @include "charge"` (redis.ts inlines this file there when it registers the script), and
-- takes the charge block first, as built by chargeCall() in src/accounts/ledger.ts:
-- KEYS[1] call step marker            {m:<id>}:step:<CallSid>:<step>   (hash: what the first request stored)
-- KEYS[2] member ledger list          {m:<id>}:ledger                  (JSON entries, oldest first)
-- KEYS[3] monthly spend counter       {m:<id>}:spend:<yyyy-mm>
-- KEYS[4] cap holds hash              {m:<id>}:cap-holds               (cap-holds.lua)
-- KEYS[5] audit outbox                {m:<id>}:audit-outbox            (activity key -> operator event, for the relay)
-- ARGV[1] ledger entry ID   ARGV[2] CallSid   ARGV[3] calling number   ARGV[4] amount
-- ARGV[5] currency   ARGV[6] now (ms)
-- ARGV[7] monthly cap: '' = not counted; 'held' = counted when the hold ARGV[15] was taken (a card
--         charge: the hold is consumed; if it is gone, the amount is counted now, never refused,
--         since the money has moved); a number = enforced (refused past it)
-- ARGV[8] spend counter ttl (s)   ARGV[9] step marker ttl (s)   ARGV[10] kind   ARGV[11] method
-- ARGV[12] payment confirmation code ('' = none)   ARGV[13] masked card ('' = none)
-- ARGV[14] kind-specific ledger fields (a JSON object)   ARGV[15] cap hold ID ('' = none)
-- ARGV[16] the operator event's activity key ('' = none)   ARGV[17] the event (JSON, see activity.ts auditOutboxEntry)
-- The including script's own keys start at KEYS[6], its own arguments at ARGV[18].
local CHARGE_KEYS, CHARGE_ARGS = 5, 17
--- @include "cap-holds"

-- What this call step stored the first time (the fields asked for), or nil: a Twilio retry of a
-- step that charged replays this instead of charging again.
local function charge_recall(fields)
  if redis.call('EXISTS', KEYS[1]) == 0 then
    return nil
  end
  return redis.call('HMGET', KEYS[1], unpack(fields))
end

-- Cap check, spend counter and ledger entry, all or nothing. Returns nil when charged, or the
-- allowance left this month when the charge would pass the cap (then nothing is written).
local function charge_book()
  local amount = tonumber(ARGV[4])
  local cap = ARGV[7]
  if cap == 'held' then
    local held, counted = holds_take(KEYS[4], ARGV[15])
    if not held or counted ~= KEYS[3] then
      redis.call('INCRBY', KEYS[3], amount)
    elseif held ~= amount then
      redis.call('INCRBY', KEYS[3], amount - held)
    end
    redis.call('EXPIRE', KEYS[3], ARGV[8])
  elseif cap ~= '' then
    holds_sweep(KEYS[4], KEYS[3], tonumber(ARGV[6]))
    local spent = tonumber(redis.call('GET', KEYS[3]) or '0')
    if spent + amount > tonumber(cap) then
      return math.max(0, tonumber(cap) - spent)
    end
    redis.call('INCRBY', KEYS[3], amount)
    redis.call('EXPIRE', KEYS[3], ARGV[8])
  end
  local entry = cjson.decode(ARGV[14])
  entry.id = ARGV[1]
  entry.kind = ARGV[10]
  entry.method = ARGV[11]
  entry.amount = amount
  entry.currency = ARGV[5]
  entry.callSid = ARGV[2]
  entry.from = ARGV[3]
  entry.at = tonumber(ARGV[6])
  if ARGV[12] ~= '' then entry.confirmation = ARGV[12] end
  if ARGV[13] ~= '' then entry.card = ARGV[13] end
  redis.call('RPUSH', KEYS[2], cjson.encode(entry))
  -- The operator's audit line, in the same step as the money: relayed to {ops} even if the app dies now.
  if ARGV[16] ~= '' then
    redis.call('HSET', KEYS[5], ARGV[16], ARGV[17])
  end
  return nil
end

-- Remembers what this step did (field, value pairs), for charge_recall on a retry.
local function charge_mark(...)
  redis.call('HSET', KEYS[1], ...)
  redis.call('EXPIRE', KEYS[1], ARGV[9])
end
