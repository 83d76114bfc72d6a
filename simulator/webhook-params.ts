import { randomBytes } from 'node:crypto';

/** A CallSid as Twilio makes them: `CA` and 32 hex digits. */
export const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;

export const PLACEHOLDER_ACCOUNT_SID = `AC${'0'.repeat(32)}`;

export interface InboundCall {
  callSid: string;
  from: string;
  to: string;
  accountSid?: string;
  callStatus?: string;
}

/**
 * The form fields Twilio sends with every webhook of an inbound voice call; the simulator, the
 * tests and the benchmark all build their requests from this one place.
 */
export function inboundCallParams(call: InboundCall, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: call.accountSid ?? PLACEHOLDER_ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    CallSid: call.callSid,
    CallStatus: call.callStatus ?? 'in-progress',
    Called: call.to,
    Caller: call.from,
    Direction: 'inbound',
    From: call.from,
    To: call.to,
    ...extra,
  };
}
