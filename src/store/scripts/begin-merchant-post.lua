-- Opens a merchant POST in one step in the merchant's slot: replays an answer already stored under
-- its Idempotency-Key, refuses a merchant blocked for guessing, and claims the key for this request.
-- Called with 1 or 2 keys (numkeys is passed per call):
-- KEYS[1] merchant failure counter     {mer:<id>}:rl:failures
-- KEYS[2] Idempotency-Key record       {mer:<id>}:idem:<digest>   (only when the request has a key)
-- ARGV[1] failures that block ('' = this request is not limited)
-- ARGV[2] the claim to store: JSON {fingerprint}   ARGV[3] how long to keep it (s)   (with KEYS[2])
-- Returns: {1} go ahead (the key, if any, is now claimed)
--          {0, record} the key was used before: its JSON record, with the stored answer if there is one
--          {-10, seconds} blocked: too many failures; the window resets in that many seconds
local stored = false
if KEYS[2] then
  stored = redis.call('GET', KEYS[2])
  -- A stored answer is replayed even while blocked: it reveals nothing new.
  if stored and cjson.decode(stored).response then
    return {0, stored}
  end
end
if ARGV[1] ~= '' then
  local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
  if failures >= tonumber(ARGV[1]) then
    return {-10, redis.call('TTL', KEYS[1])}
  end
end
if stored then
  return {0, stored}
end
if KEYS[2] then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
end
return {1}
