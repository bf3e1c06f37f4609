/**
 * The ratchet's X25519 (PROTOCOL.md §6.2): key generation and DH on protocol/crypto's raw-buffer X25519, with the
 * ratchet's own error messages. No key objects and no cache: every key lives only in the state that holds it.
 * Secrets come from the caller's Rng.
 */
import { InvalidArgumentError, InvalidPublicKeyError } from '../errors.js'
import { x25519, x25519PublicKey, type Rng, type X25519KeyPair } from '../crypto/index.js'

export function generateRatchetKeyPair (rng: Rng): X25519KeyPair {
  const secretKey = rng(32)
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) throw new InvalidArgumentError('rng: expected 32 bytes')
  return { secretKey, publicKey: x25519PublicKey(secretKey) }
}

/** X25519(own, public) with RFC 7748 §6.1's all-zero check; a bad public key throws InvalidPublicKeyError. */
export function dh (own: X25519KeyPair, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519(own.secretKey, publicKey)
  } catch (e) {
    if (e instanceof InvalidPublicKeyError) throw new InvalidPublicKeyError('ratchet: invalid public key')
    throw e
  }
}
