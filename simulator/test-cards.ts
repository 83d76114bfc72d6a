import { randomBytes } from 'node:crypto';
import type { PayErrorType, PayField } from './twiml-document.ts';

/** The card that is always approved, and the one that is always declined (as with most test connectors). */
export const TEST_CARD_APPROVED = '4242424242424242';
export const TEST_CARD_DECLINED = '4000000000000002';

/** What Twilio says when a <Pay> has no <Prompt> of its own for a field. */
export const DEFAULT_PAY_PROMPTS: Record<PayField, string> = {
  'payment-card-number': 'Please enter your credit card number, followed by the pound key.',
  'expiration-date': 'Please enter your expiration date, two digits for the month and two digits for the year, followed by the pound key.',
  'security-code': 'Please enter your security code, followed by the pound key.',
  'postal-code': 'Please enter your zip code, followed by the pound key.',
};

/** What Twilio says while the connector processes, when <Pay> has no <Prompt for="payment-processing">. */
export const DEFAULT_PROCESSING_PROMPT = 'Please wait while we process your payment.';

export const PAY_RETRY_PROMPT: Record<PayField, string> = {
  'payment-card-number': 'That card number is not valid.',
  'expiration-date': 'That expiration date is not valid.',
  'security-code': 'That security code is not valid.',
  'postal-code': 'That postal code is not valid.',
};

function luhnValid(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function cardType(number: string): string | undefined {
  if (/^4/.test(number)) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^35/.test(number)) return 'jcb';
  if (/^(6011|65)/.test(number)) return 'discover';
  if (/^3(0[0-5]|[68])/.test(number)) return 'diners-club';
  return undefined;
}

/** Why one keyed field is not acceptable (the errorType Twilio reports), or undefined when it is. */
export function payFieldError(field: PayField, value: string, context: { cardNumber?: string; validCardTypes: string[]; now: Date }): PayErrorType | undefined {
  if (validPayField(field, value, context)) return undefined;
  switch (field) {
    case 'payment-card-number':
      return /^\d{12,19}$/.test(value) && luhnValid(value) && cardType(value) !== undefined ? 'invalid-card-type' : 'invalid-card-number';
    case 'expiration-date':
      return 'invalid-date';
    case 'security-code':
      return 'invalid-security-code';
    case 'postal-code':
      return 'invalid-postal-code';
  }
}

/** Whether one keyed field is acceptable; the card number decides how long the security code is. */
export function validPayField(field: PayField, value: string, context: { cardNumber?: string; validCardTypes: string[]; now: Date }): boolean {
  switch (field) {
    case 'payment-card-number': {
      const type = cardType(value);
      return /^\d{12,19}$/.test(value) && luhnValid(value) && type !== undefined && context.validCardTypes.includes(type);
    }
    case 'expiration-date': {
      const match = /^(\d{2})(\d{2})$/.exec(value);
      if (!match) return false;
      const month = Number(match[1]);
      const year = 2000 + Number(match[2]);
      const now = context.now;
      return month >= 1 && month <= 12 && (year > now.getUTCFullYear() || (year === now.getUTCFullYear() && month >= now.getUTCMonth() + 1));
    }
    case 'security-code':
      return new RegExp(`^\\d{${cardType(context.cardNumber ?? '') === 'amex' ? 4 : 3}}$`).test(value);
    case 'postal-code':
      return /^\d{3,10}$/.test(value);
  }
}

export const maskCard = (number: string) => `${'x'.repeat(Math.max(0, number.length - 4))}${number.slice(-4)}`;
export const fakeToken = (prefix: string) => `${prefix}_sim_${randomBytes(12).toString('hex')}`;
