/** Why a simulated call could not go on; the CLI prints the message and exits non-zero. */
export type CallFailureKind = 'http' | 'invalid-twiml' | 'unknown-verb' | 'unsupported' | 'too-many-requests';

export class CallFailure extends Error {
  override name = 'CallFailure';
  constructor(
    readonly kind: CallFailureKind,
    message: string,
  ) {
    super(message);
  }
}
