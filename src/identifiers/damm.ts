/**
 * Damm check digit: catches every single-digit error and every adjacent transposition,
 * so a mistyped ID is recognised before any lookup.
 */
const TABLE = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
] as const;

function interim(digits: string): number {
  let state = 0;
  for (let i = 0; i < digits.length; i++) state = TABLE[state]![digits.charCodeAt(i) - 48]!;
  return state;
}

export function dammCheckDigit(digits: string): string {
  return String(interim(digits));
}

/** True when `number` is all digits and its last digit is the Damm check digit of the rest. */
export function hasValidCheckDigit(number: string): boolean {
  return /^\d{2,}$/.test(number) && interim(number) === 0;
}
