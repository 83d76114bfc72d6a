/** Every webhook path under /twilio that a call can be at; call-flow.ts maps each to its step. */
export const PATHS = {
  pickUp: '/twilio/voice',
  menu: '/twilio/voice/menu',
  provisionalId: '/twilio/voice/activation',
  activationConsent: '/twilio/voice/activation/pay',
  afterFormalId: '/twilio/voice/activation/next',
  formalId: '/twilio/voice/sign-in/id',
  pin: '/twilio/voice/sign-in/pin',
  renewConfirm: '/twilio/voice/renew/confirm',
  payAmount: '/twilio/voice/pay/amount',
  payMerchant: '/twilio/voice/pay/merchant',
  payConfirm: '/twilio/voice/pay/confirm',
  payAfter: '/twilio/voice/pay/after',
  approvalNumber: '/twilio/voice/approve/number',
  approvalDecision: '/twilio/voice/approve/decision',
  cardKeep: '/twilio/voice/card/keep',
  cardPaid: '/twilio/voice/card/paid',
  carrierCode: '/twilio/voice/carrier/code',
} as const;

export type StepPath = (typeof PATHS)[keyof typeof PATHS];

/** The status callback: not a step of the call, but told how it ended. */
export const STATUS_CALLBACK_PATH = '/twilio/voice/status';

/** <Pay>'s statusCallback: progress of a card entry (which field, which attempt); acknowledged, not stored. */
export const PAY_STATUS_PATH = '/twilio/voice/card/status';
