/**
 * Long-term identity (PROTOCOL.md §2): an Ed25519 signing key (which IS the libp2p PeerId) and a separate X25519
 * agreement key bound to it by a signature. Owns PeerId derivation, fingerprints and safety numbers.
 * Knows nothing of prekeys, invites or the wire: those import from here.
 */
import {
  abytes, concat, ed25519KeyPair, ed25519Sign, ed25519Verify, equal, sha256, sha512, toHex, utf8, x25519KeyPair,
  type Ed25519KeyPair, type Rng, type X25519KeyPair
} from '../crypto/index.js'
import { base58btcEncode } from './base58.js'
import {
  FINGERPRINT_GROUP_CHARS, FINGERPRINT_LABEL, IDENTITY_BINDING_LABEL, PEER_ID_BYTES, PEER_ID_ED25519_PREFIX,
  SAFETY_NUMBER_DIGITS_PER_IDENTITY, SAFETY_NUMBER_ITERATIONS, SAFETY_NUMBER_VERSION
} from './constants.js'
import { IdentityBindingError, InvalidPeerIdError } from './errors.js'

export * from './constants.js'
export * from './errors.js'
export { base58btcEncode } from './base58.js'
export { Reader, Writer, type DecodeErrors } from './wire.js'
export { deserializeIdentity, recordReader, recordWriter, serializeIdentity } from './record.js'

/** The public half of an identity: what contacts pin. */
export interface IdentityPublic {
  /** Ed25519 public key, 32 bytes: the libp2p PeerId key and the signing key. */
  signingKey: Uint8Array
  /** X25519 public key, 32 bytes: the long-term agreement key (IK.x in §5). */
  agreementKey: Uint8Array
}

/** A full identity, secrets included. Stored by the node, never sent. */
export interface IdentityKeyPair {
  signing: Ed25519KeyPair
  agreement: X25519KeyPair
}

export function generateIdentity (rng: Rng): IdentityKeyPair {
  return { signing: ed25519KeyPair(rng), agreement: x25519KeyPair(rng) }
}

export function identityPublic (id: IdentityKeyPair): IdentityPublic {
  return { signingKey: id.signing.publicKey, agreementKey: id.agreement.publicKey }
}

export function assertIdentityPublic (id: IdentityPublic, name = 'identity'): IdentityPublic {
  abytes(id?.signingKey, 32, `${name}.signingKey`)
  abytes(id?.agreementKey, 32, `${name}.agreementKey`)
  return id
}

export function sameIdentity (a: IdentityPublic, b: IdentityPublic): boolean {
  return equal(a.signingKey, b.signingKey) && equal(a.agreementKey, b.agreementKey)
}

/** edPub || xPub, the 64-byte "public keys" string of §2.3 and §2.4. */
export function identityKeyBytes (id: IdentityPublic): Uint8Array {
  assertIdentityPublic(id)
  return concat(id.signingKey, id.agreementKey)
}

function bindingMessage (id: IdentityPublic): Uint8Array {
  return concat(utf8(IDENTITY_BINDING_LABEL), identityKeyBytes(id))
}

/** Sig(IK.ed, "Tern/v1/IdentityKey" || IK.ed || IK.x): binds the X25519 key to the Ed25519 identity (§2.1). */
export function signIdentityBinding (id: IdentityKeyPair): Uint8Array {
  return ed25519Sign(id.signing.secretKey, bindingMessage(identityPublic(id)))
}

/** Throws IdentityBindingError unless `signature` binds `id.agreementKey` to `id.signingKey`. */
export function verifyIdentityBinding (id: IdentityPublic, signature: Uint8Array): void {
  if (!ed25519Verify(id.signingKey, bindingMessage(id), signature)) throw new IdentityBindingError()
}

/** PeerId bytes = 0x00 0x24 0x08 0x01 0x12 0x20 || edPub (38 bytes, §2.2). */
export function peerIdBytesFromIdentity (signingKey: Uint8Array): Uint8Array {
  abytes(signingKey, 32, 'signingKey')
  return concat(PEER_ID_ED25519_PREFIX, signingKey)
}

/** The PeerId string, base58btc without multibase prefix ("12D3KooW...", §2.2). */
export function peerIdStringFromIdentity (signingKey: Uint8Array): string {
  return base58btcEncode(peerIdBytesFromIdentity(signingKey))
}

/** The Ed25519 identity key inside PeerId bytes; throws InvalidPeerIdError for any other kind of PeerId. */
export function identityKeyFromPeerIdBytes (peerId: Uint8Array): Uint8Array {
  abytes(peerId, undefined, 'peerId')
  if (peerId.length !== PEER_ID_BYTES || !equal(peerId.subarray(0, 6), PEER_ID_ED25519_PREFIX)) throw new InvalidPeerIdError()
  return peerId.slice(6)
}

/** SHA-256("Tern/v1/Fingerprint" || IK.ed || IK.x), 32 bytes (§2.3). */
export function fingerprint (id: IdentityPublic): Uint8Array {
  return sha256(utf8(FINGERPRINT_LABEL), identityKeyBytes(id))
}

/** The fingerprint as 16 space-separated groups of 4 lowercase hex digits. */
export function formatFingerprint (fp: Uint8Array): string {
  abytes(fp, 32, 'fingerprint')
  const hex = toHex(fp)
  const groups: string[] = []
  for (let i = 0; i < hex.length; i += FINGERPRINT_GROUP_CHARS) groups.push(hex.slice(i, i + FINGERPRINT_GROUP_CHARS))
  return groups.join(' ')
}

/**
 * One identity's 30 digits (§2.4): h = u16be(0) || keys || peerId; repeat 5200 times h = SHA-512(h || keys),
 * where keys = IK.ed || IK.x; then six 5-byte big-endian chunks of h, each mod 100000, zero-padded to 5 digits.
 */
export function safetyNumberHalf (id: IdentityPublic): string {
  const keys = identityKeyBytes(id)
  const version = Uint8Array.of(SAFETY_NUMBER_VERSION >> 8, SAFETY_NUMBER_VERSION & 0xff)
  let h = concat(version, keys, peerIdBytesFromIdentity(id.signingKey))
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) h = sha512(h, keys)
  let out = ''
  for (let c = 0; c < SAFETY_NUMBER_DIGITS_PER_IDENTITY / 5; c++) {
    let v = 0
    for (let j = 0; j < 5; j++) v = v * 256 + (h[c * 5 + j] as number) // < 2^40: exact in a double
    out += String(v % 100000).padStart(5, '0')
  }
  return out
}

/** The pair's 60-digit safety number: both halves sorted and concatenated, so both sides compute the same string. */
export function safetyNumber (a: IdentityPublic, b: IdentityPublic): string {
  const x = safetyNumberHalf(a)
  const y = safetyNumberHalf(b)
  return x <= y ? x + y : y + x
}

/** A safety number in 12 space-separated groups of 5 digits. */
export function formatSafetyNumber (digits: string): string {
  return (digits.match(/.{1,5}/g) ?? []).join(' ')
}
