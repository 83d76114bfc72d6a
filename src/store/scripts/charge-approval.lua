-- Charges an approved payment request to a member, once per call step, within the monthly cap.
-- KEYS[1..5], ARGV[1..17] the charge block (charge.lua); the step is approve-<requestId>
-- ARGV[18] request ID
-- Returns: {1} charged now; {0} already charged in this step (retry); {-5, remaining allowance} over the cap
--- @include "charge"
if charge_recall({'paymentRequest'}) then
  return {0}
end
local remaining = charge_book()
if remaining then
  return {-5, tostring(remaining)}
end
charge_mark('paymentRequest', ARGV[CHARGE_ARGS + 1])
return {1}
