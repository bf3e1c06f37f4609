/**
 * PQXDH toward the invitee and the ContactAccept that carries its result (PROTOCOL.md §5.3, §5.4). The inviter is the
 * ratchet's sender ("Alice"); the accept carries the first ratchet message, which is also B's key confirmation.
 */
import {
  abytes, equal, mlkem768Decapsulate, mlkem768Encapsulate, sha256, wipe, x25519KeyPair,
  MLKEM768_CIPHERTEXT_BYTES, type Rng
} from '../crypto/index.js'
import { AuthenticationError, TernError } from '../errors.js'
import { identityPublic, Reader, Writer, type DecodeErrors, type IdentityKeyPair, type IdentityPublic } from '../identity/index.js'
import type { UsedInvite } from '../invite/index.js'
import type { PqPreKeyPair, SignedPreKeyPair } from '../prekeys/index.js'
import { initReceiver, initSender, ratchetDecrypt, ratchetEncrypt, type RatchetMessage, type RatchetState } from '../ratchet/index.js'
import { ACCEPT_FIXED_BYTES, CONTACT_ACCEPT_VERSION, MAX_ACCEPT_BODY_BYTES, MAX_ACCEPT_HEADER_BYTES } from './constants.js'
import {
  ContactAcceptAuthError, ContactAcceptLimitError, ContactAcceptMalformedError, ContactAcceptPreKeyError,
  ContactAcceptReplayError, ContactAcceptTruncatedError, ContactAcceptVersionError, ContactAcceptWrongRequestError,
  HandshakePeerKeyError
} from './errors.js'
import { associatedData, deriveSessionKeys } from './kdf.js'
import { dh, type CompletedRequest, type OpenedRequest, type RequestRecord } from './request.js'

/** The decoded fields of a ContactAccept (§5.4). */
export interface ContactAccept {
  tag: Uint8Array
  ephemeralKey: Uint8Array
  signedPreKeyId: number
  pqPreKeyId: number
  kemCipherText: Uint8Array
  message: RatchetMessage
}

export function encodeContactAccept (a: ContactAccept): Uint8Array {
  abytes(a.tag, 16, 'tag'); abytes(a.ephemeralKey, 32, 'ephemeralKey')
  abytes(a.kemCipherText, MLKEM768_CIPHERTEXT_BYTES, 'kemCipherText')
  return new Writer().u8(CONTACT_ACCEPT_VERSION).bytes(a.tag).bytes(a.ephemeralKey).u32(a.signedPreKeyId).u32(a.pqPreKeyId)
    .bytes(a.kemCipherText).vec(2, a.message.header).vec(2, a.message.body).finish()
}

const ACCEPT_ERRORS: DecodeErrors = {
  truncated: (w) => new ContactAcceptTruncatedError(`accept truncated at ${w}`),
  malformed: (w) => new ContactAcceptMalformedError(`malformed accept: ${w}`),
  limit: (w) => new ContactAcceptLimitError(`accept field over limit: ${w}`)
}

/** Decodes (no authentication): truncated → version → truncated → per-field limit / truncated → trailing bytes. */
export function decodeContactAccept (bytes: Uint8Array): ContactAccept {
  abytes(bytes, undefined, 'accept')
  if (bytes.length < 1) throw new ContactAcceptTruncatedError('empty accept')
  const r = new Reader(bytes, ACCEPT_ERRORS)
  const version = r.u8('version')
  if (version !== CONTACT_ACCEPT_VERSION) throw new ContactAcceptVersionError(`unknown accept version ${version}`)
  if (bytes.length < ACCEPT_FIXED_BYTES + 4) throw new ContactAcceptTruncatedError(`accept: ${bytes.length} bytes`)
  const a: ContactAccept = {
    tag: r.take(16, 'tag'),
    ephemeralKey: r.take(32, 'ephemeralKey'),
    signedPreKeyId: r.u32('signedPreKeyId'),
    pqPreKeyId: r.u32('pqPreKeyId'),
    kemCipherText: r.take(MLKEM768_CIPHERTEXT_BYTES, 'kemCipherText'),
    message: { header: r.vec(2, MAX_ACCEPT_HEADER_BYTES, 'header'), body: r.vec(2, MAX_ACCEPT_BODY_BYTES, 'body') }
  }
  r.end('accept')
  return a
}

export interface AcceptContactRequestInit {
  opened: OpenedRequest
  myIdentity: IdentityKeyPair
  /** Plaintext of the first ratchet message (the node puts A's name and contact info here). */
  firstPlaintext: Uint8Array
  rng: Rng
}

export interface AcceptResult {
  accept: Uint8Array
  state: RatchetState
  associatedData: Uint8Array
  theirIdentity: IdentityPublic
  /** Replaces the invite's OpenInvite record; wipe the invite secrets (§4.4). */
  usedInvite: UsedInvite
}

/** Runs PQXDH toward the opened request's bundle (§5.3) and builds the ContactAccept (§5.4). */
export function acceptContactRequest (init: AcceptContactRequestInit): AcceptResult {
  const { opened, myIdentity, rng } = init
  abytes(init.firstPlaintext, undefined, 'firstPlaintext')
  const b = opened.bundle
  const ek = x25519KeyPair(rng)
  const dh1 = dh(myIdentity.agreement.secretKey, b.signedPreKey.publicKey, 'SPK_B')
  const dh2 = dh(ek.secretKey, b.identity.agreementKey, 'IK_B.x')
  const dh3 = dh(ek.secretKey, b.signedPreKey.publicKey, 'SPK_B')
  let kem: { cipherText: Uint8Array, sharedSecret: Uint8Array }
  try { kem = mlkem768Encapsulate(b.pqPreKey.publicKey, rng) } catch (e) {
    if (e instanceof AuthenticationError) throw new HandshakePeerKeyError('PQSPK_B fails the ML-KEM key check')
    throw e
  }
  const keys = deriveSessionKeys(dh1, dh2, dh3, kem.sharedSecret, opened.requestHash)
  wipe(ek.secretKey, dh1, dh2, dh3, kem.sharedSecret)
  const ad = associatedData(identityPublic(myIdentity), b.identity)
  const s0 = initSender({ ...keys, remoteRatchetKey: b.signedPreKey.publicKey, associatedData: ad, rng })
  wipe(keys.rootKey, keys.sendHeaderKey, keys.nextRecvHeaderKey)
  const { state, message } = ratchetEncrypt(s0, init.firstPlaintext, rng)
  const accept = encodeContactAccept({
    tag: opened.tag,
    ephemeralKey: ek.publicKey,
    signedPreKeyId: b.signedPreKey.id,
    pqPreKeyId: b.pqPreKey.id,
    kemCipherText: kem.cipherText,
    message
  })
  return { accept, state, associatedData: ad, theirIdentity: b.identity, usedInvite: { state: 'used', tag: opened.tag, requestHash: opened.requestHash } }
}

export interface CompleteContactAcceptInit {
  bytes: Uint8Array
  /** The invitee's record for the request named by the accept's tag. */
  pending: RequestRecord
  myIdentity: IdentityKeyPair
  /** The prekeys the request published (the node looks them up by the pending record's ids). */
  signedPreKey: SignedPreKeyPair
  pqPreKey: PqPreKeyPair
}

export interface CompleteResult {
  state: RatchetState
  firstPlaintext: Uint8Array
  associatedData: Uint8Array
  theirIdentity: IdentityPublic
  /** Replaces the PendingRequest record. */
  completed: CompletedRequest
}

/**
 * Completes the handshake on the invitee's side. Rejects, in order: the decodeContactAccept errors → other request →
 * replayed (already completed) → prekey ids differ → EK_A low-order or non-canonical (HandshakePeerKeyError) → first
 * message does not decrypt (ContactAcceptAuthError).
 */
export function completeContactAccept (init: CompleteContactAcceptInit): CompleteResult {
  const { bytes, pending, myIdentity, signedPreKey, pqPreKey } = init
  const a = decodeContactAccept(bytes)
  if (!equal(a.tag, pending.tag)) throw new ContactAcceptWrongRequestError()
  if (pending.state === 'done') throw new ContactAcceptReplayError(equal(sha256(bytes), pending.acceptHash) ? 'accept replayed' : 'request already completed')
  if (a.signedPreKeyId !== pending.signedPreKeyId || a.pqPreKeyId !== pending.pqPreKeyId ||
    signedPreKey.id !== a.signedPreKeyId || pqPreKey.id !== a.pqPreKeyId) throw new ContactAcceptPreKeyError()

  const inviter = pending.inviter
  const dh1 = dh(signedPreKey.keyPair.secretKey, inviter.agreementKey, 'IK_A.x')
  const dh2 = dh(myIdentity.agreement.secretKey, a.ephemeralKey, 'EK_A')
  const dh3 = dh(signedPreKey.keyPair.secretKey, a.ephemeralKey, 'EK_A')
  const ss = mlkem768Decapsulate(a.kemCipherText, pqPreKey.keyPair.secretKey)
  const keys = deriveSessionKeys(dh1, dh2, dh3, ss, pending.requestHash)
  wipe(dh1, dh2, dh3, ss)
  const ad = associatedData(inviter, identityPublic(myIdentity))
  const s0 = initReceiver({ ...keys, ownRatchetKeyPair: signedPreKey.keyPair, associatedData: ad })
  wipe(keys.rootKey, keys.sendHeaderKey, keys.nextRecvHeaderKey)
  let out: { state: RatchetState, plaintext: Uint8Array }
  try { out = ratchetDecrypt(s0, a.message) } catch (e) {
    if (e instanceof TernError) throw new ContactAcceptAuthError(`first message: ${e.code}`)
    throw e
  }
  return {
    state: out.state,
    firstPlaintext: out.plaintext,
    associatedData: ad,
    theirIdentity: inviter,
    completed: { state: 'done', tag: pending.tag, acceptHash: sha256(bytes) }
  }
}
