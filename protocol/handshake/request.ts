/**
 * ContactRequest (PROTOCOL.md §5.2): invitee B → inviter A, sealed to the invite. B's identity is hidden from anyone
 * without the invite (its static key is sealed as in Noise IK), and the invite secret is a PSK in every key.
 */
import {
  abytes, aeadOpen, aeadSeal, concat, ed25519Sign, ed25519Verify, equal, sha256, utf8, wipe, x25519, x25519KeyPair, type Rng
} from '../crypto/index.js'
import { InvalidArgumentError, InvalidPublicKeyError } from '../errors.js'
import { identityPublic, Reader, sameIdentity, Writer, type DecodeErrors, type IdentityKeyPair, type IdentityPublic } from '../identity/index.js'
import { InviteExpiredError, inviteTag, type Invite, type InviteRecord } from '../invite/index.js'
import {
  createBundle, encodeBundle, readBundle, verifyBundle, type PqPreKeyPair, type PreKeyBundle, type SignedPreKeyPair
} from '../prekeys/index.js'
import {
  CONTACT_REQUEST_VERSION, MAX_CLOCK_SKEW_MS, MAX_CONTACT_INFO_BYTES, MAX_NAME_BYTES, MAX_REQUEST_BYTES,
  MIN_REQUEST_BYTES, REQUEST_DELIVERY_GRACE_MS, REQUEST_HEADER_BYTES, REQUEST_SIGNATURE_LABEL, SEALED_STATIC_BYTES
} from './constants.js'
import {
  ContactRequestAuthError, ContactRequestBadSignatureError, ContactRequestExpiredError, ContactRequestIdentityError,
  ContactRequestLimitError, ContactRequestMalformedError, ContactRequestReplayError, ContactRequestTimestampError,
  ContactRequestTruncatedError, ContactRequestVersionError, ContactRequestWrongInviteError, HandshakePeerKeyError,
  InviteUsedError
} from './errors.js'
import { deriveRequestKey, deriveStaticKey } from './kdf.js'

/** What the invitee keeps until the accept (or a reject) arrives. No secrets: prekey secrets stay with the node. */
export interface PendingRequest {
  state: 'pending'
  tag: Uint8Array
  inviter: IdentityPublic
  /** SHA-256 of the request bytes: the PQXDH salt (§5.3). */
  requestHash: Uint8Array
  signedPreKeyId: number
  pqPreKeyId: number
  sentAt: number
}

/** What the invitee keeps after completing: enough to recognise a replayed accept. */
export interface CompletedRequest { state: 'done', tag: Uint8Array, acceptHash: Uint8Array }

export type RequestRecord = PendingRequest | CompletedRequest

/** A verified, decrypted contact request. */
export interface OpenedRequest {
  tag: Uint8Array
  requestHash: Uint8Array
  /** The invitee's identity (bundle.identity). */
  identity: IdentityPublic
  bundle: PreKeyBundle
  name: string
  contactInfo: Uint8Array
  /** The invitee's clock when it sent the request, ms. */
  timestamp: number
}

export interface CreateContactRequestInit {
  invite: Invite
  myIdentity: IdentityKeyPair
  /** Fresh prekeys for this request; the node keeps their secrets until the accept arrives. */
  signedPreKey: SignedPreKeyPair
  pqPreKey: PqPreKeyPair
  name: string
  contactInfo: Uint8Array
  now: number
  rng: Rng
}

function transcript (header: Uint8Array, sealedStatic: Uint8Array, invite: { inviter: IdentityPublic, inviteKey: Uint8Array }, body: Uint8Array): Uint8Array {
  return concat(utf8(REQUEST_SIGNATURE_LABEL), header, sealedStatic, invite.inviter.signingKey,
    invite.inviter.agreementKey, invite.inviteKey, body)
}

export function dh (secret: Uint8Array, pub: Uint8Array, what: string): Uint8Array {
  // X25519 ignores bit 255 of a public key (RFC 7748 §5): with it set, the key's bytes differ but the session would
  // not, so the message carrying it would be malleable. No honest encoder sets it (u < 2^255 - 19).
  if (pub.length === 32 && (pub[31] & 0x80) !== 0) throw new HandshakePeerKeyError(`${what}: non-canonical X25519 key (bit 255 set)`)
  try { return x25519(secret, pub) } catch (e) {
    if (e instanceof InvalidPublicKeyError) throw new HandshakePeerKeyError(`${what}: low-order X25519 key`)
    throw e
  }
}

export function createContactRequest (init: CreateContactRequestInit): { request: Uint8Array, pending: PendingRequest } {
  const { invite, myIdentity, now } = init
  if (!Number.isSafeInteger(now) || now < 0) throw new InvalidArgumentError('now: expected ms')
  const nameBytes = utf8(init.name)
  if (nameBytes.length > MAX_NAME_BYTES) throw new InvalidArgumentError(`name: over ${MAX_NAME_BYTES} bytes`)
  abytes(init.contactInfo, undefined, 'contactInfo')
  if (init.contactInfo.length > MAX_CONTACT_INFO_BYTES) throw new InvalidArgumentError(`contactInfo: over ${MAX_CONTACT_INFO_BYTES} bytes`)
  if (now >= invite.expiresAt * 1000) throw new InviteExpiredError()
  const me = identityPublic(myIdentity)
  if (sameIdentity(me, invite.inviter)) throw new InvalidArgumentError('cannot answer my own invite')

  const bundle = createBundle({ identity: myIdentity, signedPreKey: init.signedPreKey, pqPreKey: init.pqPreKey, createdAt: now })
  const tag = inviteTag(invite.secret)
  const ek = x25519KeyPair(init.rng)
  const header = concat(Uint8Array.of(CONTACT_REQUEST_VERSION), tag, ek.publicKey)
  const dhEkIk = x25519(ek.secretKey, invite.inviter.agreementKey)
  const dhEkInvite = x25519(ek.secretKey, invite.inviteKey)
  const dhIkInvite = x25519(myIdentity.agreement.secretKey, invite.inviteKey)
  const sk = deriveStaticKey(dhEkIk, dhEkInvite, invite.secret)
  const sealedStatic = aeadSeal(sk.key, sk.nonce, me.agreementKey, header)
  const rk = deriveRequestKey(dhEkIk, dhEkInvite, dhIkInvite, invite.secret)

  const body = new Writer().bytes(encodeBundle(bundle)).u64(now).vec(1, nameBytes).vec(2, init.contactInfo).finish()
  const signature = ed25519Sign(myIdentity.signing.secretKey, transcript(header, sealedStatic, invite, body))
  const sealed = aeadSeal(rk.key, rk.nonce, concat(body, signature), concat(header, sealedStatic))
  const request = concat(header, sealedStatic, sealed)
  wipe(ek.secretKey, dhEkIk, dhEkInvite, dhIkInvite, sk.key, rk.key)
  return {
    request,
    pending: {
      state: 'pending',
      tag,
      inviter: invite.inviter,
      requestHash: sha256(request),
      signedPreKeyId: init.signedPreKey.id,
      pqPreKeyId: init.pqPreKey.id,
      sentAt: now
    }
  }
}

/** Checks length and version and returns the invite tag, so the inviter's node can find the invite record (§5.2). */
export function requestInviteTag (bytes: Uint8Array): Uint8Array {
  abytes(bytes, undefined, 'request')
  if (bytes.length < 1) throw new ContactRequestTruncatedError('empty request')
  if (bytes[0] !== CONTACT_REQUEST_VERSION) throw new ContactRequestVersionError(`unknown request version ${bytes[0] as number}`)
  if (bytes.length < MIN_REQUEST_BYTES) throw new ContactRequestTruncatedError(`request: ${bytes.length} < ${MIN_REQUEST_BYTES} bytes`)
  if (bytes.length > MAX_REQUEST_BYTES) throw new ContactRequestLimitError(`request: ${bytes.length} > ${MAX_REQUEST_BYTES} bytes`)
  return bytes.slice(1, 17)
}

const PAYLOAD_ERRORS: DecodeErrors = {
  truncated: (w) => new ContactRequestTruncatedError(`request payload truncated at ${w}`),
  malformed: (w) => new ContactRequestMalformedError(`malformed request payload: ${w}`),
  limit: (w) => new ContactRequestLimitError(`request field over limit: ${w}`)
}

export interface OpenContactRequestInit {
  bytes: Uint8Array
  /** The inviter's record for the invite named by requestInviteTag(bytes). */
  invite: InviteRecord
  myIdentity: IdentityKeyPair
  now: number
}

/**
 * Opens a request. Rejects, in order: truncated → version → over MAX_REQUEST_BYTES → other invite → replayed / invite
 * used → expired → low-order or non-canonical EK_B → static key AEAD → payload AEAD → payload truncated / malformed / limits → identity
 * mismatch → bundle signatures → transcript signature → timestamp.
 */
export function openContactRequest (init: OpenContactRequestInit): OpenedRequest {
  const { bytes, invite, myIdentity, now } = init
  const tag = requestInviteTag(bytes)
  if (!equal(tag, invite.tag)) throw new ContactRequestWrongInviteError()
  const requestHash = sha256(bytes)
  if (invite.state === 'used') {
    if (equal(requestHash, invite.requestHash)) throw new ContactRequestReplayError()
    throw new InviteUsedError()
  }
  if (now >= invite.expiresAt * 1000 + REQUEST_DELIVERY_GRACE_MS) throw new ContactRequestExpiredError()

  const header = bytes.subarray(0, REQUEST_HEADER_BYTES)
  const ekB = bytes.slice(17, REQUEST_HEADER_BYTES)
  const sealedStatic = bytes.subarray(REQUEST_HEADER_BYTES, REQUEST_HEADER_BYTES + SEALED_STATIC_BYTES)
  const sealed = bytes.subarray(REQUEST_HEADER_BYTES + SEALED_STATIC_BYTES)

  const dhEkIk = dh(myIdentity.agreement.secretKey, ekB, 'EK_B')
  const dhEkInvite = dh(invite.inviteKeyPair.secretKey, ekB, 'EK_B')
  const sk = deriveStaticKey(dhEkIk, dhEkInvite, invite.secret)
  let ikBx: Uint8Array
  try { ikBx = aeadOpen(sk.key, sk.nonce, sealedStatic, header).slice() } catch { throw new ContactRequestAuthError('sealed static key') } finally { wipe(sk.key) }
  const dhIkInvite = dh(invite.inviteKeyPair.secretKey, ikBx, 'IK_B.x')
  const rk = deriveRequestKey(dhEkIk, dhEkInvite, dhIkInvite, invite.secret)
  wipe(dhEkIk, dhEkInvite, dhIkInvite)
  let payload: Uint8Array
  try { payload = aeadOpen(rk.key, rk.nonce, sealed, concat(header, sealedStatic)) } catch { throw new ContactRequestAuthError('sealed payload') } finally { wipe(rk.key) }

  const r = new Reader(payload, PAYLOAD_ERRORS)
  let bundle: PreKeyBundle
  try {
    const read = readBundle(payload, 0)
    bundle = read.bundle
    r.offset = read.end
  } catch (e) {
    throw new ContactRequestMalformedError(`bundle: ${(e as Error).message}`)
  }
  const timestamp = r.u64('timestamp')
  const name = r.string(1, MAX_NAME_BYTES, 'name')
  const contactInfo = r.vec(2, MAX_CONTACT_INFO_BYTES, 'contactInfo')
  const bodyEnd = r.offset
  const signature = r.take(64, 'signature')
  r.end('request payload')

  if (!equal(bundle.identity.agreementKey, ikBx)) throw new ContactRequestIdentityError('bundle identity differs from the sealed static key')
  if (sameIdentity(bundle.identity, identityPublic(myIdentity))) throw new ContactRequestIdentityError('request from my own identity')
  verifyBundle(bundle)
  const inviteView = { inviter: identityPublic(myIdentity), inviteKey: invite.inviteKeyPair.publicKey }
  if (!ed25519Verify(bundle.identity.signingKey, transcript(header, sealedStatic, inviteView, payload.subarray(0, bodyEnd)), signature)) {
    throw new ContactRequestBadSignatureError()
  }
  if (timestamp > now + MAX_CLOCK_SKEW_MS) throw new ContactRequestTimestampError('request timestamp in the future')
  if (timestamp >= invite.expiresAt * 1000 + MAX_CLOCK_SKEW_MS) throw new ContactRequestTimestampError('request sent after the invite expired')
  return { tag, requestHash, identity: bundle.identity, bundle, name, contactInfo, timestamp }
}
