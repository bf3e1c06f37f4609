/** Typed errors of protocol/prekeys (PROTOCOL.md §3), in the order a decoder raises them. */
import { TernError } from '../errors.js'

/** The bundle bytes end before the fixed layout does. */
export class BundleTruncatedError extends TernError {
  constructor (message = 'bundle truncated') { super('ERR_BUNDLE_TRUNCATED', message) }
}

/** The bundle's version byte is not one this code reads. */
export class BundleVersionError extends TernError {
  constructor (message = 'unknown bundle version') { super('ERR_BUNDLE_VERSION', message) }
}

/** The bundle bytes are not a valid encoding (trailing bytes, out-of-range integer). */
export class BundleMalformedError extends TernError {
  constructor (message = 'malformed bundle') { super('ERR_BUNDLE_MALFORMED', message) }
}

/** The signed X25519 prekey's signature does not verify under the identity key. */
export class SignedPreKeySignatureError extends TernError {
  constructor (message = 'signed prekey signature check failed') { super('ERR_SIGNED_PREKEY_SIGNATURE', message) }
}

/** The signed ML-KEM-768 prekey's signature does not verify under the identity key. */
export class PqPreKeySignatureError extends TernError {
  constructor (message = 'pq prekey signature check failed') { super('ERR_PQ_PREKEY_SIGNATURE', message) }
}
