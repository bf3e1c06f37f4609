/** Typed errors of protocol/invite (PROTOCOL.md §4), listed in the order parseInvite raises them. */
import { TernError } from '../errors.js'

/** Not a `tern:` URI, or its payload is not canonical unpadded base64url. */
export class InviteFormatError extends TernError {
  constructor (message = 'not a tern invite') { super('ERR_INVITE_FORMAT', message) }
}

/** The invite is larger than MAX_INVITE_BYTES (checked on the text length, before decoding). */
export class InviteOversizedError extends TernError {
  constructor (message = 'invite too large') { super('ERR_INVITE_OVERSIZED', message) }
}

/** The invite bytes end before the layout does. */
export class InviteTruncatedError extends TernError {
  constructor (message = 'invite truncated') { super('ERR_INVITE_TRUNCATED', message) }
}

/** The invite's version byte is not one this code reads. */
export class InviteVersionError extends TernError {
  constructor (message = 'unknown invite version') { super('ERR_INVITE_VERSION', message) }
}

/** Bytes that cannot be an invite (trailing bytes after the signature). */
export class InviteMalformedError extends TernError {
  constructor (message = 'malformed invite') { super('ERR_INVITE_MALFORMED', message) }
}

/** A required variable-length field is empty (the relay address). */
export class InviteMissingFieldError extends TernError {
  constructor (message = 'invite field missing') { super('ERR_INVITE_MISSING_FIELD', message) }
}

/** A length prefix over its limit (relay address > MAX_RELAY_ADDR_BYTES). */
export class InviteLimitError extends TernError {
  constructor (message = 'invite field over limit') { super('ERR_INVITE_LIMIT', message) }
}

/** The inviter's signature does not verify: the invite was altered or forged. */
export class InviteBadSignatureError extends TernError {
  constructor (message = 'invite signature check failed') { super('ERR_INVITE_BAD_SIGNATURE', message) }
}

/** The (authenticated) expiry has passed. */
export class InviteExpiredError extends TernError {
  constructor (message = 'invite expired') { super('ERR_INVITE_EXPIRED', message) }
}
