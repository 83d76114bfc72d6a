import { customAlphabet } from 'nanoid';
import { dammCheckDigit, hasValidCheckDigit } from './damm.ts';

const randomDigits = (length: number) => customAlphabet('0123456789', length);

/** Random digits from a CSPRNG followed by a Damm check digit. */
export interface DigitIdentifier {
  /** Total length including the check digit. */
  length: number;
  generate(): string;
  /** 'ok', 'malformed' (not the right number of digits) or 'mistyped' (check digit fails). */
  check(input: string): 'ok' | 'malformed' | 'mistyped';
}

function digitIdentifier(randomLength: number): DigitIdentifier {
  const random = randomDigits(randomLength);
  const length = randomLength + 1;
  return {
    length,
    generate() {
      const body = random();
      return body + dammCheckDigit(body);
    },
    check(input) {
      if (!/^\d+$/.test(input) || input.length !== length) return 'malformed';
      return hasValidCheckDigit(input) ? 'ok' : 'mistyped';
    },
  };
}

/** 10 random digits + check digit: 10^10 possibilities while it is pending. */
export const provisionalIds = digitIdentifier(10);
/** 8 random digits + check digit; uniqueness is enforced by an index in Redis. */
export const formalIds = digitIdentifier(8);
/** 15 random digits + check digit. */
export const paymentCodes = digitIdentifier(15);
/** For features that need a short digit number of their own length. */
export const digitIdentifierFor = (randomLength: number): DigitIdentifier => digitIdentifier(randomLength);
/** 7 random digits + check digit: short enough to key on a phone; uniqueness enforced on creation. */
export const merchantIds = digitIdentifier(7);

/**
 * Digits as a person writes down what they heard: "652 921 241", "652-921-241", full-width
 * "６５２９２１２４１" all become "652921241". Anything else is left for validation to refuse.
 */
export function digitsAsTyped(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return value.normalize('NFKC').replace(/[\s\-‐‑‒–—―−ー,.]/g, '');
}

/** Passwords: 14 characters from an alphabet without look-alikes (no 0/O, 1/l/I): ~80 bits. */
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
export const generatePassword = customAlphabet(PASSWORD_ALPHABET, 14);
export const PASSWORD_LENGTH = 14;
