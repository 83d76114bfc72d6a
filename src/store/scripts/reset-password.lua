-- Uses a password reset link: sets the new password and ends every session of the member, in one
-- atomic step, once. Only the member's newest link works (a new request replaces the record), and
-- only until it expires; the record is deleted here, so a second use finds nothing.
-- KEYS[1] account hash ({m:<member>}:account)
-- KEYS[2] the member's reset record ({m:<member>}:pwreset: tokenHash, expiresAt)
-- KEYS[3] the member's sessions ({m:<member>}:sessions, src/web/sessions.ts): deleted, so every session ends
-- ARGV[1] the link's token hash
-- ARGV[2] now (ms)
-- ARGV[3] the new password hash
-- Returns: 1 done (every session of the member ended)
--          0 no such link: used, replaced by a newer one, or never sent (nothing written)
--         -1 the link has expired (the record is deleted)
local record = redis.call('HMGET', KEYS[2], 'tokenHash', 'expiresAt')
if not record[1] or record[1] ~= ARGV[1] or redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if tonumber(record[2]) <= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[2])
  return -1
end
redis.call('HSET', KEYS[1], 'passwordHash', ARGV[3], 'passwordChangedAt', ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('DEL', KEYS[2])
return 1
