/** Typed errors of protocol/identity (PROTOCOL.md §2). */
import { TernError } from '../errors.js'

/** A PeerId's bytes are not the identity-multihash form of an Ed25519 public key. */
export class InvalidPeerIdError extends TernError {
  constructor (message = 'not an Ed25519 identity PeerId') { super('ERR_INVALID_PEER_ID', message) }
}

/** The identity-binding signature (Ed25519 over the X25519 agreement key) does not verify. */
export class IdentityBindingError extends TernError {
  constructor (message = 'identity binding signature check failed') { super('ERR_IDENTITY_BINDING', message) }
}

/** A stored record (identity, prekey, invite or request record) ends before its layout does. */
export class RecordTruncatedError extends TernError {
  constructor (message = 'stored record truncated') { super('ERR_RECORD_TRUNCATED', message) }
}

/** A stored record has an unknown storage format version. */
export class RecordVersionError extends TernError {
  constructor (message = 'unknown stored record version') { super('ERR_RECORD_VERSION', message) }
}

/** A stored record is not a valid encoding (bad state tag, trailing bytes, keys that do not match). */
export class RecordMalformedError extends TernError {
  constructor (message = 'malformed stored record') { super('ERR_RECORD_MALFORMED', message) }
}
