/**
 * X25519 (RFC 7748) on libsodium (sodium-native): raw 32-byte buffers in and out, no key objects. Measured here
 * against node:crypto (bench/ and shared/STACK-NOTES.md): a fixed-base multiplication (key generation) 14 us
 * against 37 us for node:crypto's key import + public export, a shared secret 40 us against 36 us plus 6-34 us of
 * KeyObject import per call. The ratchet makes three of these per DH step, so this is its hot path.
 * Keys are raw 32-byte strings; randomness comes from the caller's Rng.
 */
import sodium from 'sodium-native'
import { abytes } from './bytes.js'
import type { Rng } from './random.js'
import { InvalidPublicKeyError } from '../errors.js'

/** X25519 key length (secret and public) in bytes. */
export const X25519_KEY_BYTES = 32

export interface X25519KeyPair {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

export function x25519PublicKey (secretKey: Uint8Array): Uint8Array {
  abytes(secretKey, X25519_KEY_BYTES, 'x25519 secret key')
  const out = new Uint8Array(X25519_KEY_BYTES)
  sodium.crypto_scalarmult_base(out, secretKey)
  return out
}

export function x25519KeyPair (rng: Rng): X25519KeyPair {
  const secretKey = rng(X25519_KEY_BYTES)
  return { secretKey, publicKey: x25519PublicKey(secretKey) }
}

/**
 * X25519(secret, public). Throws InvalidPublicKeyError for a public key of small order (libsodium refuses them
 * before multiplying) and whenever the result is all zero, as RFC 7748 §6.1 recommends.
 */
export function x25519 (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  abytes(secretKey, X25519_KEY_BYTES, 'x25519 secret key')
  abytes(publicKey, X25519_KEY_BYTES, 'x25519 public key')
  const out = new Uint8Array(X25519_KEY_BYTES)
  try {
    sodium.crypto_scalarmult(out, secretKey, publicKey)
  } catch {
    throw new InvalidPublicKeyError('x25519: invalid public key (small order)')
  }
  let acc = 0
  for (let i = 0; i < X25519_KEY_BYTES; i++) acc |= out[i]
  if (acc === 0) throw new InvalidPublicKeyError('x25519: zero shared secret')
  return out
}
