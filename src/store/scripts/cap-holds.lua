-- cap-holds: amounts held against a member's monthly cap while a card is asked for and charged
-- (docs/CHARGING.md, "The cap held"), so two calls racing can never pass it together. A hold is
-- counted in the month's spend counter when it is taken; the charge consumes it, a payment that
-- charged nothing releases it, and one left by a call that died expires and is given back.
-- The holds hash {m:<id>}:cap-holds maps a hold ID (<CallSid>/<step>) to
-- "<amount>|<spend counter key it was counted in>|<expires at, ms>". Included by charge.lua and
-- hold-cap.lua, which name the two keys.

-- Gives back every expired hold: its amount leaves the counter it was counted in, if that is
-- the counter in hand (a hold of an earlier month no longer matters to this month's cap).
local function holds_sweep(holdsKey, spendKey, now)
  local all = redis.call('HGETALL', holdsKey)
  for i = 1, #all, 2 do
    local amount, counted, expires = string.match(all[i + 1], '^(%d+)|(.+)|(%d+)$')
    if tonumber(expires) <= now then
      if counted == spendKey then
        redis.call('DECRBY', spendKey, amount)
      end
      redis.call('HDEL', holdsKey, all[i])
    end
  end
end

-- Takes one hold out: its amount and the counter it was counted in, or nil when there is none.
local function holds_take(holdsKey, holdId)
  local held = redis.call('HGET', holdsKey, holdId)
  if not held then
    return nil
  end
  redis.call('HDEL', holdsKey, holdId)
  local amount, counted = string.match(held, '^(%d+)|(.+)|%d+$')
  return tonumber(amount), counted
end
