-- Records one event for the operator, once: the audit stream entry, the day's counters, the
-- running totals and the operator's list indexes, all in the `{ops}` slot. Called by the app after
-- the money script of the event succeeded, and again by each retry of the request, so an event
-- whose first recording was lost is recorded by the retry; the seen marker keeps it to once.
-- KEYS[1] seen marker                 {ops}:seen:<event key>
-- KEYS[2] audit stream                {ops}:audit
-- KEYS[3] the day's counters          {ops}:day:<yyyy-mm-dd>
-- KEYS[4] running totals              {ops}:totals
-- KEYS[5..9] indexes                  {ops}:members, {ops}:codes, {ops}:merchants, {ops}:pending, {ops}:calls
-- ARGV[1] seen marker ttl (s)
-- ARGV[2] JSON: { audit = {field, value, ...} or absent, day = {field = n}, totals = {field = n},
--                 add = {{index 5..9, score, member}}, remove = {{index 5..9, member}} }
-- Returns: 1 recorded now; 0 already recorded (a retry)
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then
  return 0
end
local event = cjson.decode(ARGV[2])
if type(event.audit) == 'table' and #event.audit > 0 then
  redis.call('XADD', KEYS[2], '*', unpack(event.audit))
end
if type(event.day) == 'table' then
  for field, n in pairs(event.day) do redis.call('HINCRBY', KEYS[3], field, n) end
end
if type(event.totals) == 'table' then
  for field, n in pairs(event.totals) do redis.call('HINCRBY', KEYS[4], field, n) end
end
if type(event.add) == 'table' then
  for _, a in ipairs(event.add) do redis.call('ZADD', KEYS[a[1]], a[2], a[3]) end
end
if type(event.remove) == 'table' then
  for _, r in ipairs(event.remove) do redis.call('ZREM', KEYS[r[1]], r[2]) end
end
return 1
