/** Typed errors of protocol/handshake (PROTOCOL.md §5.6), one class per failure kind. */
import { TernError } from '../errors.js'

const kind = (code: string, fallback: string) => class extends TernError {
  constructor (message = fallback) { super(code, message) }
}

// ContactRequest (§5.2), in the order openContactRequest raises them.
/** The request ends before its layout does. */
export class ContactRequestTruncatedError extends kind('ERR_REQUEST_TRUNCATED', 'contact request truncated') {}
/** Unknown request version byte. */
export class ContactRequestVersionError extends kind('ERR_REQUEST_VERSION', 'unknown contact request version') {}
/** Larger than MAX_REQUEST_BYTES, or a field over its limit. */
export class ContactRequestLimitError extends kind('ERR_REQUEST_LIMIT', 'contact request over a limit') {}
/** The request's invite tag is not the tag of the invite record it was opened with. */
export class ContactRequestWrongInviteError extends kind('ERR_REQUEST_WRONG_INVITE', 'contact request is for another invite') {}
/** The same request bytes as the one that already used the invite. */
export class ContactRequestReplayError extends kind('ERR_REQUEST_REPLAYED', 'contact request replayed') {}
/** A different request for an invite already used (answer with ContactReject USED). */
export class InviteUsedError extends kind('ERR_INVITE_USED', 'invite already used') {}
/** The invite expired (plus the delivery grace) before the request arrived (answer with ContactReject EXPIRED). */
export class ContactRequestExpiredError extends kind('ERR_REQUEST_EXPIRED', 'invite expired') {}
/** AEAD authentication of the sealed static key or payload failed (wrong invite secrets or tampering). */
export class ContactRequestAuthError extends kind('ERR_REQUEST_AUTHENTICATION', 'contact request authentication failed') {}
/** The decrypted payload is not a valid encoding. */
export class ContactRequestMalformedError extends kind('ERR_REQUEST_MALFORMED', 'malformed contact request') {}
/** The bundle's identity differs from the sealed static key, or is the inviter's own. */
export class ContactRequestIdentityError extends kind('ERR_REQUEST_IDENTITY', 'contact request identity mismatch') {}
/** The invitee's transcript signature does not verify. */
export class ContactRequestBadSignatureError extends kind('ERR_REQUEST_BAD_SIGNATURE', 'contact request signature check failed') {}
/** The signed timestamp is in the future or after the invite's expiry. */
export class ContactRequestTimestampError extends kind('ERR_REQUEST_TIMESTAMP', 'contact request timestamp out of range') {}

// ContactAccept (§5.4)
export class ContactAcceptTruncatedError extends kind('ERR_ACCEPT_TRUNCATED', 'contact accept truncated') {}
export class ContactAcceptVersionError extends kind('ERR_ACCEPT_VERSION', 'unknown contact accept version') {}
export class ContactAcceptMalformedError extends kind('ERR_ACCEPT_MALFORMED', 'malformed contact accept') {}
export class ContactAcceptLimitError extends kind('ERR_ACCEPT_LIMIT', 'contact accept field over limit') {}
/** The accept's invite tag is not the pending request's. */
export class ContactAcceptWrongRequestError extends kind('ERR_ACCEPT_WRONG_REQUEST', 'contact accept is for another request') {}
/** The request was already completed (a duplicate or replayed accept). */
export class ContactAcceptReplayError extends kind('ERR_ACCEPT_REPLAYED', 'contact accept replayed') {}
/** The accept names prekey ids other than the ones the request published. */
export class ContactAcceptPreKeyError extends kind('ERR_ACCEPT_UNKNOWN_PREKEY', 'contact accept names unknown prekeys') {}
/** The first ratchet message does not decrypt: wrong keys or tampering. */
export class ContactAcceptAuthError extends kind('ERR_ACCEPT_AUTHENTICATION', 'contact accept authentication failed') {}

// ContactReject (§5.5)
export class ContactRejectTruncatedError extends kind('ERR_REJECT_TRUNCATED', 'contact reject truncated') {}
export class ContactRejectVersionError extends kind('ERR_REJECT_VERSION', 'unknown contact reject version') {}
export class ContactRejectMalformedError extends kind('ERR_REJECT_MALFORMED', 'malformed contact reject') {}
export class ContactRejectWrongRequestError extends kind('ERR_REJECT_WRONG_REQUEST', 'contact reject is for another request') {}
export class ContactRejectBadSignatureError extends kind('ERR_REJECT_BAD_SIGNATURE', 'contact reject signature check failed') {}

/** A peer's signed key cannot be used (ML-KEM modulus check failed, or an X25519 key of low order). */
export class HandshakePeerKeyError extends kind('ERR_HANDSHAKE_PEER_KEY', 'unusable peer key') {}
