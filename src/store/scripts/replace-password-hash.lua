-- Replaces a member's stored password hash only if it is still the one the caller verified
-- against: a hash upgrade at login (scrypt -> argon2id) never overwrites a password changed or
-- upgraded by another request in the meantime.
-- KEYS[1] account hash (account:{<member>})
-- ARGV[1] the stored hash the password was verified against
-- ARGV[2] the new hash
-- Returns: 1 replaced; 0 the stored hash had changed (or the account is gone), nothing written
if redis.call('HGET', KEYS[1], 'passwordHash') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'passwordHash', ARGV[2])
return 1
