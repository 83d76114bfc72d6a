-- charge: the one way a member is charged. Every script that charges includes it with the line
-- `--- @include "charge"` (redis.ts inlines this file there when it registers the script), and
-- takes the charge block first, as built by chargeCall() in src/accounts/ledger.ts:
-- KEYS[1] call step marker            {m:<id>}:step:<CallSid>:<step>   (hash: what the first request stored)
-- KEYS[2] member ledger list          {m:<id>}:ledger                  (JSON entries, oldest first)
-- KEYS[3] monthly spend counter       {m:<id>}:spend:<yyyy-mm>
-- KEYS[4] audit outbox                {m:<id>}:audit-outbox            (activity key -> operator event, for the relay)
-- ARGV[1] ledger entry ID   ARGV[2] CallSid   ARGV[3] calling number   ARGV[4] amount
-- ARGV[5] currency   ARGV[6] now (ms)   ARGV[7] monthly cap ('' = not counted; 'count' = counted, never refused)
-- ARGV[8] spend counter ttl (s)   ARGV[9] step marker ttl (s)   ARGV[10] kind   ARGV[11] method
-- ARGV[12] payment confirmation code ('' = none)   ARGV[13] masked card ('' = none)
-- ARGV[14] kind-specific ledger fields (a JSON object)
-- ARGV[15] the operator event's activity key ('' = none)   ARGV[16] the event (JSON, see activity.ts auditOutboxEntry)
-- The including script's own keys start at KEYS[5], its own arguments at ARGV[17].
local CHARGE_KEYS, CHARGE_ARGS = 4, 16

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
  if ARGV[7] ~= '' then
    if ARGV[7] ~= 'count' then
      local cap = tonumber(ARGV[7])
      local spent = tonumber(redis.call('GET', KEYS[3]) or '0')
      if spent + amount > cap then
        return math.max(0, cap - spent)
      end
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
  if ARGV[15] ~= '' then
    redis.call('HSET', KEYS[4], ARGV[15], ARGV[16])
  end
  return nil
end

-- Remembers what this step did (field, value pairs), for charge_recall on a retry.
local function charge_mark(...)
  redis.call('HSET', KEYS[1], ...)
  redis.call('EXPIRE', KEYS[1], ARGV[9])
end
