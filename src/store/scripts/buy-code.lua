-- Charges one payment-code purchase to a member, once per call step, within the monthly cap.
-- Runs in the member's slot only; the code record is written afterwards by issue-code.lua.
-- KEYS[1..5], ARGV[1..17] the charge block (charge.lua); the step is buy-<nonce>
-- ARGV[18] code hash   ARGV[19] encrypted code   ARGV[20] last four digits   ARGV[21] merchant ID or ''
-- ARGV[22] code expiry (ms)
-- Returns: {1, codeHash, encryptedCode, amount, merchantId, expiresAt, last4} charged now
--          {0, ...same fields as stored by the first request} this step already bought (Twilio retry)
--          {-5, remaining allowance this month} the purchase would pass the cap
--- @include "charge"
local done = charge_recall({'codeHash', 'code', 'amount', 'merchantId', 'expiresAt', 'last4'})
if done and done[1] then
  return {0, done[1], done[2], done[3], done[4], done[5], done[6]}
end
local remaining = charge_book()
if remaining then
  return {-5, tostring(remaining)}
end
local a = CHARGE_ARGS
charge_mark('codeHash', ARGV[a + 1], 'code', ARGV[a + 2], 'amount', ARGV[4],
  'merchantId', ARGV[a + 4], 'expiresAt', ARGV[a + 5], 'last4', ARGV[a + 3])
return {1, ARGV[a + 1], ARGV[a + 2], ARGV[4], ARGV[a + 4], ARGV[a + 5], ARGV[a + 3]}
