/**
 * X25519 (RFC 7748) on node:crypto, 30-50x faster than noble here (shared/STACK-NOTES.md).
 * Keys are raw 32-byte strings; randomness comes from the caller's Rng.
 */
import { diffieHellman } from 'node:crypto'
import { abytes } from './bytes.js'
import { importPrivate, importPublic, rawPublicOf } from './okp.js'
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
  return rawPublicOf(importPrivate('X25519', secretKey))
}

export function x25519KeyPair (rng: Rng): X25519KeyPair {
  const secretKey = rng(X25519_KEY_BYTES)
  return { secretKey, publicKey: x25519PublicKey(secretKey) }
}

/**
 * X25519(secret, public). Throws InvalidPublicKeyError when the result is all zero (a low-order public key),
 * as RFC 7748 §6.1 recommends.
 */
export function x25519 (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  abytes(secretKey, X25519_KEY_BYTES, 'x25519 secret key')
  abytes(publicKey, X25519_KEY_BYTES, 'x25519 public key')
  let out: Buffer
  try {
    out = diffieHellman({ privateKey: importPrivate('X25519', secretKey), publicKey: importPublic('X25519', publicKey) })
  } catch {
    throw new InvalidPublicKeyError('x25519: invalid public key (zero shared secret)')
  }
  let acc = 0
  for (const b of out) acc |= b
  if (acc === 0) throw new InvalidPublicKeyError('x25519: zero shared secret')
  return new Uint8Array(out.buffer, out.byteOffset, out.length)
}
