-- A caller keyed a right ID on this line: the line's counted guess is given back and the member's
-- language is remembered for the line's next call, in one step (they were two commands; both keys
-- share the line's hash tag, so they are one slot on Redis Cluster).
-- KEYS[1] the line's guess counter     line-wrong:{<number>}
-- KEYS[2] the line's language          line-lang:{<number>}
-- ARGV[1] locale ('' = leave the language as it is)
-- ARGV[2] how long the language is kept (s)
-- Returns: {1, guesses left counted, seconds left in the window}
--- @include "attempt-refund"
if ARGV[1] ~= '' then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
end
return attempt_refund(KEYS[1])
