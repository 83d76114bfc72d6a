-- Opens a session: one field of the owner's sessions hash, so ending every session of an owner
-- (a password change, a revoked merchant key, the operator's token changed) is one DEL, with no
-- window where a session opened meanwhile survives. Sessions past their expiry are pruned here;
-- beyond the most an owner may hold, the ones ending first go.
-- KEYS[1] the owner's sessions     sessions:{<kind>:<owner>}   (field: SHA-256 of the session ID -> "<expires at ms>|<tag>")
-- ARGV[1] the new session's field  ARGV[2] its value "<expires at ms>|<tag>"
-- ARGV[3] now (ms)                 ARGV[4] most sessions an owner keeps
-- Returns: the number of sessions the owner holds now (this one included)
local all = redis.call('HGETALL', KEYS[1])
local now = tonumber(ARGV[3])
local live = {}
for i = 1, #all, 2 do
  local expires = tonumber(string.match(all[i + 1], '^(%d+)')) or 0
  if expires <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    live[#live + 1] = { all[i], expires }
  end
end
table.sort(live, function(a, b) return a[2] < b[2] end)
local max = tonumber(ARGV[4])
local drop = #live - (max - 1)
for i = 1, drop do
  redis.call('HDEL', KEYS[1], live[i][1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local latest = tonumber(string.match(ARGV[2], '^(%d+)'))
for _, s in ipairs(live) do
  if s[2] > latest then latest = s[2] end
end
redis.call('PEXPIREAT', KEYS[1], latest)
return math.max(#live - math.max(drop, 0), 0) + 1
