-- Holds (or releases) an amount against a member's monthly cap before a card is charged, so that
-- the charge that follows can never pass the cap, however many calls race (cap-holds.lua).
-- KEYS[1] monthly spend counter   {m:<id>}:spend:<yyyy-mm>
-- KEYS[2] cap holds hash          {m:<id>}:cap-holds
-- ARGV[1] action: hold | release   ARGV[2] hold ID (<CallSid>/<step>)
-- hold: ARGV[3] amount   ARGV[4] monthly cap   ARGV[5] now (ms)   ARGV[6] hold lifetime (ms)
--       ARGV[7] spend counter ttl (s), also the holds hash's
-- Returns: hold    {1, remaining} held now, or already held under this ID (a retry)
--                  {-5, remaining} the amount would pass the cap: nothing held
--          release {1} given back; {0} no such hold (already charged, released or expired)
--- @include "cap-holds"
local spendKey, holdsKey = KEYS[1], KEYS[2]
local holdId = ARGV[2]
if ARGV[1] == 'release' then
  local amount, counted = holds_take(holdsKey, holdId)
  if not amount then
    return {0}
  end
  if counted == spendKey then
    redis.call('DECRBY', spendKey, amount)
  end
  return {1}
end
local amount, cap, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
holds_sweep(holdsKey, spendKey, now)
local spent = tonumber(redis.call('GET', spendKey) or '0')
if redis.call('HEXISTS', holdsKey, holdId) == 1 then
  return {1, tostring(math.max(0, cap - spent))}
end
if spent + amount > cap then
  return {-5, tostring(math.max(0, cap - spent))}
end
redis.call('INCRBY', spendKey, amount)
redis.call('EXPIRE', spendKey, ARGV[7])
redis.call('HSET', holdsKey, holdId, amount .. '|' .. spendKey .. '|' .. (now + tonumber(ARGV[6])))
-- The holds live as long as the counter they are counted in: a hold is given back only by a sweep
-- that finds it, so the hash must never vanish first (that would leave the amount spent for good).
redis.call('EXPIRE', holdsKey, ARGV[7])
return {1, tostring(math.max(0, cap - spent - amount))}
