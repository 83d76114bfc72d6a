-- Drops a merchant's redemption records once `npm run archive` has exported them (src/archive/):
-- each given ID only while it is still in the order set at or before the exported cutoff, so
-- what was not exported is never dropped, and a second attempt drops nothing twice. The caller
-- exports only redemptions past the void window too: no void can change a record after export.
-- KEYS[1] merchant redemptions hash   {mer:<id>}:redemptions          (redemption ID -> JSON)
-- KEYS[2] redemptions in order        {mer:<id>}:redemptions:order    (redemption ID -> redeemed at, ms)
-- ARGV[1] the cutoff (ms, exclusive)   ARGV[2..] the exported redemption IDs
-- Returns: how many records were dropped
local cutoff = tonumber(ARGV[1])
local dropped = 0
for i = 2, #ARGV do
  local at = redis.call('ZSCORE', KEYS[2], ARGV[i])
  if at and tonumber(at) < cutoff then
    redis.call('ZREM', KEYS[2], ARGV[i])
    redis.call('HDEL', KEYS[1], ARGV[i])
    dropped = dropped + 1
  end
end
return dropped
