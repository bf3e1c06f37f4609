/**
 * Ed25519 (RFC 8032, pure) on node:crypto. Verification is strict: OpenSSL rejects non-canonical S and
 * (unlike noble's default ZIP-215 mode) the Wycheproof strict cases; see test/crypto-wycheproof.test.ts.
 * A secret key is the 32-byte RFC 8032 seed.
 */
import { sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import { abytes } from './bytes.js'
import { importPrivate, importPublic, rawPublicOf } from './okp.js'
import type { Rng } from './random.js'

/** Ed25519 seed and public key length in bytes. */
export const ED25519_KEY_BYTES = 32
/** Ed25519 signature length in bytes. */
export const ED25519_SIGNATURE_BYTES = 64

export interface Ed25519KeyPair {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

export function ed25519PublicKey (secretKey: Uint8Array): Uint8Array {
  abytes(secretKey, ED25519_KEY_BYTES, 'ed25519 secret key')
  return rawPublicOf(importPrivate('Ed25519', secretKey))
}

export function ed25519KeyPair (rng: Rng): Ed25519KeyPair {
  const secretKey = rng(ED25519_KEY_BYTES)
  return { secretKey, publicKey: ed25519PublicKey(secretKey) }
}

export function ed25519Sign (secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  abytes(secretKey, ED25519_KEY_BYTES, 'ed25519 secret key')
  abytes(message, undefined, 'message')
  return new Uint8Array(nodeSign(null, message, importPrivate('Ed25519', secretKey)))
}

/** Returns false for any malformed key or signature; never throws on bad input bytes. */
export function ed25519Verify (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_KEY_BYTES) return false
  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_BYTES) return false
  abytes(message, undefined, 'message')
  try {
    return nodeVerify(null, message, importPublic('Ed25519', publicKey), signature)
  } catch {
    return false
  }
}
