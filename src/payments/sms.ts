import twilio from 'twilio';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/** Sends a text message; injected so tests never reach the network. Never rejects: SMS is a courtesy copy. */
export interface SmsSender {
  /** `callSid`: the call the text belongs to, named in the log if it cannot be sent. */
  send(to: string, body: string, callSid?: string): Promise<void>;
}

/**
 * SMS goes out only when TWILIO_ACCOUNT_SID and TWILIO_SMS_FROM are both set; then through
 * `transport` if given (tests), else Twilio's Messages REST API (the TwiML <Sms> verb is deprecated).
 */
export function smsSender(config: Config, logger: Logger, transport?: SmsSender): SmsSender | undefined {
  const { accountSid, authToken } = config.twilio;
  const from = config.smsFrom;
  if (!accountSid || !from) return undefined;
  if (transport) return transport;
  const client = twilio(accountSid, authToken);
  return {
    async send(to, body, callSid) {
      try {
        await client.messages.create({ to, from, body });
      } catch (error) {
        // The caller has already heard the code; a failed copy must not fail the call.
        logger.warn({ err: error, callSid }, 'could not send the payment code by SMS');
      }
    },
  };
}
