/**
 * Signed prekeys and prekey bundles (PROTOCOL.md §3): a signed X25519 prekey, a signed ML-KEM-768 prekey and the
 * bundle that carries them with the identity keys. Generation, the bundle codec and verification. Secrets are returned
 * to the caller; storing them (and choosing ids) is the node's business.
 */
import {
  abytes, concat, ed25519Sign, ed25519Verify, mlkem768KeyPair, u32be, utf8, x25519KeyPair,
  MLKEM768_PUBLIC_KEY_BYTES, type MlKemKeyPair, type Rng, type X25519KeyPair
} from '../crypto/index.js'
import { InvalidArgumentError } from '../errors.js'
import {
  assertIdentityPublic, identityPublic, Reader, signIdentityBinding, verifyIdentityBinding, Writer,
  type DecodeErrors, type IdentityKeyPair, type IdentityPublic
} from '../identity/index.js'
import { BUNDLE_BYTES, BUNDLE_VERSION, MAX_PREKEY_ID, SIGNED_PQ_PREKEY_LABEL, SIGNED_PREKEY_LABEL } from './constants.js'
import {
  BundleMalformedError, BundleTruncatedError, BundleVersionError, PqPreKeySignatureError, SignedPreKeySignatureError
} from './errors.js'

export * from './constants.js'
export * from './errors.js'

/** A signed X25519 prekey as published (§3.1). */
export interface SignedPreKey { id: number, publicKey: Uint8Array, signature: Uint8Array }
/** A signed ML-KEM-768 prekey as published (§3.2). */
export interface SignedPqPreKey { id: number, publicKey: Uint8Array, signature: Uint8Array }
/** A signed X25519 prekey with its secret. */
export interface SignedPreKeyPair { id: number, keyPair: X25519KeyPair, signature: Uint8Array }
/** A signed ML-KEM-768 prekey with its secret. */
export interface PqPreKeyPair { id: number, keyPair: MlKemKeyPair, signature: Uint8Array }

/** Everything a peer needs to run PQXDH (§5.3) toward the bundle's owner (§3.3). */
export interface PreKeyBundle {
  identity: IdentityPublic
  /** Sig(IK.ed, "Tern/v1/IdentityKey" || IK.ed || IK.x), §2.1. */
  identitySignature: Uint8Array
  /** Creation time in ms since the Unix epoch (advisory unless inside a signed container). */
  createdAt: number
  signedPreKey: SignedPreKey
  pqPreKey: SignedPqPreKey
}

function assertId (id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_PREKEY_ID) throw new InvalidArgumentError('prekey id: expected u32')
}

/** "Tern/v1/SignedPreKey" || u32be(id) || pub */
export function signedPreKeyMessage (id: number, publicKey: Uint8Array): Uint8Array {
  return concat(utf8(SIGNED_PREKEY_LABEL), u32be(id), publicKey)
}

/** "Tern/v1/SignedPqPreKey" || u32be(id) || pub */
export function pqPreKeyMessage (id: number, publicKey: Uint8Array): Uint8Array {
  return concat(utf8(SIGNED_PQ_PREKEY_LABEL), u32be(id), publicKey)
}

export function generateSignedPreKey (identity: IdentityKeyPair, id: number, rng: Rng): SignedPreKeyPair {
  assertId(id)
  const keyPair = x25519KeyPair(rng)
  return { id, keyPair, signature: ed25519Sign(identity.signing.secretKey, signedPreKeyMessage(id, keyPair.publicKey)) }
}

export function generatePqPreKey (identity: IdentityKeyPair, id: number, rng: Rng): PqPreKeyPair {
  assertId(id)
  const keyPair = mlkem768KeyPair(rng)
  return { id, keyPair, signature: ed25519Sign(identity.signing.secretKey, pqPreKeyMessage(id, keyPair.publicKey)) }
}

export function signedPreKeyPublic (p: SignedPreKeyPair): SignedPreKey {
  return { id: p.id, publicKey: p.keyPair.publicKey, signature: p.signature }
}

export function pqPreKeyPublic (p: PqPreKeyPair): SignedPqPreKey {
  return { id: p.id, publicKey: p.keyPair.publicKey, signature: p.signature }
}

export function createBundle (init: {
  identity: IdentityKeyPair, signedPreKey: SignedPreKeyPair, pqPreKey: PqPreKeyPair, createdAt: number
}): PreKeyBundle {
  if (!Number.isSafeInteger(init.createdAt) || init.createdAt < 0) throw new InvalidArgumentError('createdAt: expected ms')
  return {
    identity: identityPublic(init.identity),
    identitySignature: signIdentityBinding(init.identity),
    createdAt: init.createdAt,
    signedPreKey: signedPreKeyPublic(init.signedPreKey),
    pqPreKey: pqPreKeyPublic(init.pqPreKey)
  }
}

/** Fixed layout of §3.3 (1,489 bytes). */
export function encodeBundle (b: PreKeyBundle): Uint8Array {
  assertIdentityPublic(b.identity)
  abytes(b.identitySignature, 64, 'identitySignature')
  abytes(b.signedPreKey.publicKey, 32, 'signedPreKey.publicKey'); abytes(b.signedPreKey.signature, 64, 'signedPreKey.signature')
  abytes(b.pqPreKey.publicKey, MLKEM768_PUBLIC_KEY_BYTES, 'pqPreKey.publicKey'); abytes(b.pqPreKey.signature, 64, 'pqPreKey.signature')
  assertId(b.signedPreKey.id); assertId(b.pqPreKey.id)
  if (!Number.isSafeInteger(b.createdAt) || b.createdAt < 0) throw new InvalidArgumentError('createdAt: expected ms')
  return new Writer()
    .u8(BUNDLE_VERSION).bytes(b.identity.signingKey).bytes(b.identity.agreementKey).bytes(b.identitySignature)
    .u64(b.createdAt)
    .u32(b.signedPreKey.id).bytes(b.signedPreKey.publicKey).bytes(b.signedPreKey.signature)
    .u32(b.pqPreKey.id).bytes(b.pqPreKey.publicKey).bytes(b.pqPreKey.signature)
    .finish()
}

const BUNDLE_ERRORS: DecodeErrors = {
  truncated: (w) => new BundleTruncatedError(`bundle truncated at ${w}`),
  malformed: (w) => new BundleMalformedError(`malformed bundle: ${w}`),
  limit: (w) => new BundleMalformedError(`bundle field over limit: ${w}`)
}

/**
 * Reads one bundle from `r` without verifying it (used inside other messages, whose decoders verify it last).
 * Order: truncated (shorter than the version byte or the fixed layout) → version → malformed.
 */
export function readBundle (bytes: Uint8Array, offset = 0): { bundle: PreKeyBundle, end: number } {
  abytes(bytes, undefined, 'bundle bytes')
  if (bytes.length - offset < 1) throw new BundleTruncatedError('empty bundle')
  const r = new Reader(bytes, BUNDLE_ERRORS)
  r.offset = offset
  const version = r.u8('version')
  if (version !== BUNDLE_VERSION) throw new BundleVersionError(`unknown bundle version ${version}`)
  if (bytes.length - offset < BUNDLE_BYTES) throw new BundleTruncatedError(`bundle: ${bytes.length - offset} < ${BUNDLE_BYTES} bytes`)
  const bundle: PreKeyBundle = {
    identity: { signingKey: r.take(32, 'identity.signingKey'), agreementKey: r.take(32, 'identity.agreementKey') },
    identitySignature: r.take(64, 'identitySignature'),
    createdAt: r.u64('createdAt'),
    signedPreKey: { id: r.u32('signedPreKey.id'), publicKey: r.take(32, 'signedPreKey.publicKey'), signature: r.take(64, 'signedPreKey.signature') },
    pqPreKey: { id: r.u32('pqPreKey.id'), publicKey: r.take(MLKEM768_PUBLIC_KEY_BYTES, 'pqPreKey.publicKey'), signature: r.take(64, 'pqPreKey.signature') }
  }
  return { bundle, end: r.offset }
}

/**
 * Verifies, in order: the identity binding (IdentityBindingError), the signed prekey (SignedPreKeySignatureError), the
 * PQ prekey (PqPreKeySignatureError). Returns the bundle.
 */
export function verifyBundle (b: PreKeyBundle): PreKeyBundle {
  verifyIdentityBinding(b.identity, b.identitySignature)
  const spk = b.signedPreKey
  if (!ed25519Verify(b.identity.signingKey, signedPreKeyMessage(spk.id, spk.publicKey), spk.signature)) {
    throw new SignedPreKeySignatureError()
  }
  const pq = b.pqPreKey
  if (!ed25519Verify(b.identity.signingKey, pqPreKeyMessage(pq.id, pq.publicKey), pq.signature)) {
    throw new PqPreKeySignatureError()
  }
  return b
}

/** Decodes a standalone bundle (exactly BUNDLE_BYTES) and verifies every signature (§3.3). */
export function decodeBundle (bytes: Uint8Array): PreKeyBundle {
  const { bundle, end } = readBundle(bytes)
  if (end !== bytes.length) throw new BundleMalformedError(`bundle: ${bytes.length - end} trailing bytes`)
  return verifyBundle(bundle)
}
export { deserializePqPreKey, deserializeSignedPreKey, serializePqPreKey, serializeSignedPreKey } from './record.js'
