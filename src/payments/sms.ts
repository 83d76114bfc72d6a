import twilio from 'twilio';
import type { Config } from '../config.ts';

/** Sends a text message; injected so tests never reach the network. */
export interface SmsSender {
  send(to: string, body: string): Promise<void>;
}

/**
 * Twilio's Messages REST API (the TwiML <Sms> verb is deprecated). Only when TWILIO_ACCOUNT_SID
 * and TWILIO_SMS_FROM are both set; otherwise no SMS is sent at all.
 */
export function smsSenderFromConfig(config: Config): SmsSender | undefined {
  const { accountSid, authToken } = config.twilio;
  const from = config.smsFrom;
  if (!accountSid || !from) return undefined;
  const client = twilio(accountSid, authToken);
  return {
    async send(to, body) {
      await client.messages.create({ to, from, body });
    },
  };
}
