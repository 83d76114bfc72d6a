-- Records a batch of events for the operator, each once: its audit stream entry, its day's
-- counters, the running totals and the operator's list indexes, all in the `{ops}` slot. The app
-- sends every event recorded in the same turn of its event loop in one call (one script call per
-- turn instead of one per money event). Each event is recorded after its money script succeeded,
-- and again by each retry of the request, so an event whose first recording was lost is recorded
-- by the retry; its seen marker keeps it to once.
-- KEYS[1] audit stream                {ops}:audit
-- KEYS[2] running totals              {ops}:totals
-- KEYS[3..7] indexes                  {ops}:members, {ops}:codes, {ops}:merchants, {ops}:pending, {ops}:calls
-- KEYS[6 + 2i]  (i = 1..n)            event i's seen marker   {ops}:seen:<event key>
-- KEYS[7 + 2i]                        event i's day counters  {ops}:day:<yyyy-mm-dd>
-- ARGV[1] seen marker ttl (s)
-- ARGV[1 + i] event i as JSON: { audit = {field, value, ...} or absent, day = {field = n},
--             totals = {field = n}, add = {{index 3..7, score, member}}, remove = {{index 3..7, member}} }
-- Returns: one number per event: 1 recorded now; 0 already recorded (a retry); -1 it failed (each
--          event runs in pcall, so one event's error does not stop the others)
local function record(event, day)
  if type(event.audit) == 'table' and #event.audit > 0 then
    redis.call('XADD', KEYS[1], '*', unpack(event.audit))
  end
  if type(event.day) == 'table' then
    for field, n in pairs(event.day) do redis.call('HINCRBY', day, field, n) end
  end
  if type(event.totals) == 'table' then
    for field, n in pairs(event.totals) do redis.call('HINCRBY', KEYS[2], field, n) end
  end
  if type(event.add) == 'table' then
    for _, a in ipairs(event.add) do redis.call('ZADD', KEYS[a[1]], a[2], a[3]) end
  end
  if type(event.remove) == 'table' then
    for _, r in ipairs(event.remove) do redis.call('ZREM', KEYS[r[1]], r[2]) end
  end
end

local recorded = {}
for i = 1, #ARGV - 1 do
  local seen, day = KEYS[6 + 2 * i], KEYS[7 + 2 * i]
  if redis.call('SET', seen, '1', 'NX', 'EX', ARGV[1]) == false then
    recorded[i] = 0
  else
    -- What it wrote before the error stays (Lua does not roll back), and so does its seen
    -- marker, as when each event had a script of its own: a retry does not write it twice.
    recorded[i] = pcall(function() record(cjson.decode(ARGV[1 + i]), day) end) and 1 or -1
  end
end
return recorded
