/** The words a caller may say instead of a menu key, and yes / no (src/speech/vocabulary.ts says how each sounds). */
export const INTENTS = ['yes', 'no', 'activate', 'buy', 'approve', 'renew', 'english', 'japanese', 'menu', 'again', 'merchant'] as const;
export type Intent = (typeof INTENTS)[number];
