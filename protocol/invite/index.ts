/**
 * Invites (PROTOCOL.md §4): a signed, single-use, self-contained `tern:` URI (≤ 512 bytes before text encoding) that
 * lets the invitee send a contact request (§5.2). Owns the invite codec, its text form and the invite tag.
 * Single use is enforced by the inviter's node, which keeps the `InviteRecord`s; this module only defines them.
 */
import {
  abytes, concat, ed25519Sign, ed25519Verify, hmacSha256, toBase64url, utf8, wipe, x25519KeyPair,
  type Rng, type X25519KeyPair
} from '../crypto/index.js'
import { InvalidArgumentError } from '../errors.js'
import { assertIdentityPublic, identityPublic, Reader, Writer, type DecodeErrors, type IdentityKeyPair, type IdentityPublic } from '../identity/index.js'
import {
  DEPOSIT_TOKEN_BYTES, INVITE_FIXED_BYTES, INVITE_SECRET_BYTES, INVITE_SIGNATURE_LABEL, INVITE_TAG_BYTES,
  INVITE_TAG_LABEL, INVITE_URI_PREFIX, INVITE_VERSION, MAX_INVITE_BYTES, MAX_INVITE_TEXT_CHARS, MAX_RELAY_ADDR_BYTES,
  QUEUE_ID_BYTES
} from './constants.js'
import {
  InviteBadSignatureError, InviteExpiredError, InviteFormatError, InviteLimitError, InviteMalformedError,
  InviteMissingFieldError, InviteOversizedError, InviteTruncatedError, InviteVersionError
} from './errors.js'

export * from './constants.js'
export * from './errors.js'

/** The mailbox deposit capability for the invite's queue on the relay named by `relayAddr` (§4.1). */
export interface MailboxCapability { queueId: Uint8Array, depositToken: Uint8Array }

/** A decoded, verified invite. */
export interface Invite {
  version: number
  inviter: IdentityPublic
  /** Fresh per-invite X25519 public key (§5.2); the inviter deletes its secret once the invite is used. */
  inviteKey: Uint8Array
  /** 32-byte pre-shared secret mixed into the contact request key. */
  secret: Uint8Array
  /** Expiry, seconds since the Unix epoch (u32). */
  expiresAt: number
  /** The inviter's relay, a binary multiaddr ending in /p2p/<relay PeerId>; opaque here. */
  relayAddr: Uint8Array
  mailbox: MailboxCapability
  signature: Uint8Array
}

/** What the inviter's node stores for an unused invite (§4.4). */
export interface OpenInvite {
  state: 'open'
  tag: Uint8Array
  secret: Uint8Array
  inviteKeyPair: X25519KeyPair
  expiresAt: number
}

/** What the inviter's node keeps once an invite is used: no secrets, enough to recognise a replay (§4.4). */
export interface UsedInvite {
  state: 'used'
  tag: Uint8Array
  /** SHA-256 of the contact request that used it. */
  requestHash: Uint8Array
}

export type InviteRecord = OpenInvite | UsedInvite

/** First 16 bytes of HMAC(secret, "Tern/v1/InviteTag"): names the invite without revealing the secret (§4.3). */
export function inviteTag (secret: Uint8Array): Uint8Array {
  abytes(secret, INVITE_SECRET_BYTES, 'invite secret')
  return hmacSha256(secret, utf8(INVITE_TAG_LABEL)).slice(0, INVITE_TAG_BYTES)
}

function assertFields (i: Omit<Invite, 'signature' | 'version'>): void {
  assertIdentityPublic(i.inviter, 'inviter')
  abytes(i.inviteKey, 32, 'inviteKey')
  abytes(i.secret, INVITE_SECRET_BYTES, 'secret')
  if (!Number.isInteger(i.expiresAt) || i.expiresAt < 0 || i.expiresAt > 0xffffffff) throw new InvalidArgumentError('expiresAt: expected u32 seconds')
  abytes(i.relayAddr, undefined, 'relayAddr')
  if (i.relayAddr.length < 1 || i.relayAddr.length > MAX_RELAY_ADDR_BYTES) throw new InvalidArgumentError(`relayAddr: 1..${MAX_RELAY_ADDR_BYTES} bytes`)
  abytes(i.mailbox?.queueId, QUEUE_ID_BYTES, 'mailbox.queueId')
  abytes(i.mailbox?.depositToken, DEPOSIT_TOKEN_BYTES, 'mailbox.depositToken')
}

/** Every byte before the signature (§4.1). */
function encodeSigned (i: Omit<Invite, 'signature'>): Uint8Array {
  return new Writer()
    .u8(i.version).bytes(i.inviter.signingKey).bytes(i.inviter.agreementKey).bytes(i.inviteKey).bytes(i.secret)
    .u32(i.expiresAt).vec(1, i.relayAddr).bytes(i.mailbox.queueId).bytes(i.mailbox.depositToken)
    .finish()
}

const signedMessage = (signed: Uint8Array): Uint8Array => concat(utf8(INVITE_SIGNATURE_LABEL), signed)

export interface CreateInviteInit {
  identity: IdentityKeyPair
  relayAddr: Uint8Array
  mailbox: MailboxCapability
  /** Expiry, seconds since the Unix epoch. */
  expiresAt: number
  rng: Rng
}

/** Makes a fresh invite key and secret, signs the invite; returns it, its URI and the record the node must store. */
export function createInvite (init: CreateInviteInit): { invite: Invite, bytes: Uint8Array, uri: string, record: OpenInvite } {
  const inviteKeyPair = x25519KeyPair(init.rng)
  const secret = init.rng(INVITE_SECRET_BYTES)
  const unsigned = {
    version: INVITE_VERSION,
    inviter: identityPublic(init.identity),
    inviteKey: inviteKeyPair.publicKey,
    secret,
    expiresAt: init.expiresAt,
    relayAddr: init.relayAddr,
    mailbox: { queueId: init.mailbox?.queueId, depositToken: init.mailbox?.depositToken }
  }
  assertFields(unsigned)
  const signed = encodeSigned(unsigned)
  const signature = ed25519Sign(init.identity.signing.secretKey, signedMessage(signed))
  const invite: Invite = { ...unsigned, signature }
  const bytes = concat(signed, signature)
  return {
    invite,
    bytes,
    uri: INVITE_URI_PREFIX + toBase64url(bytes),
    record: { state: 'open', tag: inviteTag(secret), secret: secret.slice(), inviteKeyPair, expiresAt: init.expiresAt }
  }
}

/** Binary form of §4.1 (re-signing is not needed: the signature is part of the invite). */
export function encodeInvite (invite: Invite): Uint8Array {
  assertFields(invite)
  abytes(invite.signature, 64, 'signature')
  return concat(encodeSigned(invite), invite.signature)
}

/** Text form of §4.2: `tern:` + unpadded base64url. */
export function inviteToUri (invite: Invite): string {
  return INVITE_URI_PREFIX + toBase64url(encodeInvite(invite))
}

const INVITE_ERRORS: DecodeErrors = {
  truncated: (w) => new InviteTruncatedError(`invite truncated at ${w}`),
  malformed: (w) => new InviteMalformedError(`malformed invite: ${w}`),
  limit: (w) => new InviteLimitError(`invite field over limit: ${w}`)
}

/**
 * Decodes and verifies binary invite bytes. Rejects, in order: oversized → truncated → version → (per field, as read)
 * limit / truncated → missing relay address → trailing bytes → bad signature → expired (`now` in ms).
 */
export function decodeInvite (bytes: Uint8Array, now: number): Invite {
  abytes(bytes, undefined, 'invite bytes')
  if (!Number.isFinite(now)) throw new InvalidArgumentError('now: expected ms')
  if (bytes.length > MAX_INVITE_BYTES) throw new InviteOversizedError(`invite: ${bytes.length} > ${MAX_INVITE_BYTES} bytes`)
  if (bytes.length < 1) throw new InviteTruncatedError('empty invite')
  const r = new Reader(bytes, INVITE_ERRORS)
  const version = r.u8('version')
  if (version !== INVITE_VERSION) throw new InviteVersionError(`unknown invite version ${version}`)
  if (bytes.length < INVITE_FIXED_BYTES) throw new InviteTruncatedError(`invite: ${bytes.length} < ${INVITE_FIXED_BYTES} bytes`)
  const inviter = { signingKey: r.take(32, 'inviter.signingKey'), agreementKey: r.take(32, 'inviter.agreementKey') }
  const inviteKey = r.take(32, 'inviteKey')
  const secret = r.take(INVITE_SECRET_BYTES, 'secret')
  const expiresAt = r.u32('expiresAt')
  const relayAddr = r.vec(1, MAX_RELAY_ADDR_BYTES, 'relayAddr')
  const mailbox = { queueId: r.take(QUEUE_ID_BYTES, 'queueId'), depositToken: r.take(DEPOSIT_TOKEN_BYTES, 'depositToken') }
  const signedEnd = r.offset
  const signature = r.take(64, 'signature')
  r.end('invite')
  if (relayAddr.length === 0) throw new InviteMissingFieldError('invite: empty relay address')
  if (!ed25519Verify(inviter.signingKey, signedMessage(bytes.subarray(0, signedEnd)), signature)) {
    wipe(secret)
    throw new InviteBadSignatureError()
  }
  if (now >= expiresAt * 1000) {
    wipe(secret)
    throw new InviteExpiredError(`invite expired at ${expiresAt}`)
  }
  return { version, inviter, inviteKey, secret, expiresAt, relayAddr, mailbox, signature }
}

/**
 * Parses a `tern:` URI (surrounding whitespace ignored, scheme case-insensitive). Rejects, in order: not a tern URI or
 * not canonical base64url (InviteFormatError) → text longer than a 512-byte invite (InviteOversizedError) → the
 * decodeInvite order.
 */
export function parseInvite (uri: string, now: number): Invite {
  if (typeof uri !== 'string') throw new InviteFormatError('invite: expected a string')
  const text = uri.trim()
  if (text.slice(0, INVITE_URI_PREFIX.length).toLowerCase() !== INVITE_URI_PREFIX) throw new InviteFormatError('not a tern: URI')
  const body = text.slice(INVITE_URI_PREFIX.length)
  if (!/^[A-Za-z0-9_-]*$/.test(body)) throw new InviteFormatError('invite: not base64url')
  if (body.length > MAX_INVITE_TEXT_CHARS) throw new InviteOversizedError(`invite: ${body.length} > ${MAX_INVITE_TEXT_CHARS} chars`)
  const bytes = new Uint8Array(Buffer.from(body, 'base64url'))
  if (toBase64url(bytes) !== body) throw new InviteFormatError('invite: non-canonical base64url')
  return decodeInvite(bytes, now)
}
export { deserializeInviteRecord, serializeInviteRecord } from './record.js'
