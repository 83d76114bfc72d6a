-- Trims the head of a member's ledger once `npm run archive` has exported it (src/archive/), only
-- if the first N entries are still exactly the ones exported: charges only ever append at the
-- tail, so a charge made meanwhile stays, and a head that changed (or was trimmed already by an
-- earlier attempt of the same run) is left alone and reported.
-- KEYS[1] member ledger list          {m:<id>}:ledger            (JSON entries with an `id`, oldest first)
-- KEYS[2] entries archived so far     {m:<id>}:ledger:archived   (a count: keeps the history's cursors stable)
-- ARGV[1..N] the exported entry IDs, oldest first
-- Returns: N trimmed; 0 the head is not the exported entries (nothing done)
local n = #ARGV
if n == 0 then
  return 0
end
local head = redis.call('LRANGE', KEYS[1], 0, n - 1)
if #head < n then
  return 0
end
for i = 1, n do
  local ok, entry = pcall(cjson.decode, head[i])
  if not ok or type(entry) ~= 'table' or entry.id ~= ARGV[i] then
    return 0
  end
end
redis.call('LTRIM', KEYS[1], n, -1)
redis.call('INCRBY', KEYS[2], n)
return n
