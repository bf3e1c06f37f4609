/**
 * Typed errors of the protocol core. Every failure kind has its own class with a stable `code`;
 * tests and callers branch on `code`, never on message text (shared/STYLE.md, principle 7).
 */
export class TernError extends Error {
  readonly code: string
  constructor (code: string, message: string) {
    super(message)
    this.code = code
    this.name = new.target.name
  }
}

/** An argument had the wrong type or length (a programming error at a public boundary). */
export class InvalidArgumentError extends TernError {
  constructor (message: string) { super('ERR_INVALID_ARGUMENT', message) }
}

/** A signature did not verify. */
export class BadSignatureError extends TernError {
  constructor (message = 'signature check failed') { super('ERR_BAD_SIGNATURE', message) }
}

/** AEAD authentication failed: the ciphertext, its associated data or the key is wrong. */
export class AuthenticationError extends TernError {
  constructor (message = 'authentication failed') { super('ERR_AUTHENTICATION', message) }
}

/** A Diffie-Hellman output was all zero (a low-order or otherwise invalid public key). */
export class InvalidPublicKeyError extends TernError {
  constructor (message = 'invalid public key') { super('ERR_INVALID_PUBLIC_KEY', message) }
}
