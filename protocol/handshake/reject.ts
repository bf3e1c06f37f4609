/**
 * ContactReject (PROTOCOL.md §5.5): the inviter's signed "no" (invite used, expired or unknown), verified by the
 * invitee against the identity key of the invite it answered.
 */
import { abytes, concat, ed25519Sign, ed25519Verify, equal, utf8 } from '../crypto/index.js'
import { InvalidArgumentError } from '../errors.js'
import type { IdentityKeyPair } from '../identity/index.js'
import { CONTACT_REJECT_VERSION, REJECT_BYTES, REJECT_SIGNATURE_LABEL, RejectReason } from './constants.js'
import {
  ContactRejectBadSignatureError, ContactRejectMalformedError, ContactRejectTruncatedError, ContactRejectVersionError,
  ContactRejectWrongRequestError
} from './errors.js'
import type { PendingRequest } from './request.js'

const REASONS = new Set<number>(Object.values(RejectReason))

function signed (tag: Uint8Array, reason: number): Uint8Array {
  return concat(utf8(REJECT_SIGNATURE_LABEL), tag, Uint8Array.of(reason))
}

/** version || tag || reason || Sig(IK_A.ed, "Tern/v1/ContactReject" || tag || reason). */
export function createContactReject (init: { tag: Uint8Array, reason: RejectReason, myIdentity: IdentityKeyPair }): Uint8Array {
  abytes(init.tag, 16, 'tag')
  if (!REASONS.has(init.reason)) throw new InvalidArgumentError('reason: unknown reject reason')
  const sig = ed25519Sign(init.myIdentity.signing.secretKey, signed(init.tag, init.reason))
  return concat(Uint8Array.of(CONTACT_REJECT_VERSION), init.tag, Uint8Array.of(init.reason), sig)
}

/**
 * Verifies a reject against the pending request (its tag and the inviter's identity key). Rejects, in order:
 * truncated → version → truncated / trailing bytes → unknown reason → other request → bad signature.
 */
export function verifyContactReject (init: { bytes: Uint8Array, pending: PendingRequest }): { reason: RejectReason } {
  const { bytes, pending } = init
  abytes(bytes, undefined, 'reject')
  if (bytes.length < 1) throw new ContactRejectTruncatedError('empty reject')
  if (bytes[0] !== CONTACT_REJECT_VERSION) throw new ContactRejectVersionError(`unknown reject version ${bytes[0] as number}`)
  if (bytes.length < REJECT_BYTES) throw new ContactRejectTruncatedError(`reject: ${bytes.length} < ${REJECT_BYTES} bytes`)
  if (bytes.length > REJECT_BYTES) throw new ContactRejectMalformedError(`reject: ${bytes.length - REJECT_BYTES} trailing bytes`)
  const tag = bytes.subarray(1, 17)
  const reason = bytes[17] as number
  if (!REASONS.has(reason)) throw new ContactRejectMalformedError(`unknown reject reason ${reason}`)
  if (!equal(tag, pending.tag)) throw new ContactRejectWrongRequestError()
  if (!ed25519Verify(pending.inviter.signingKey, signed(tag, reason), bytes.subarray(18))) throw new ContactRejectBadSignatureError()
  return { reason: reason as RejectReason }
}
