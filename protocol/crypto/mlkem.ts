/**
 * ML-KEM-768 (FIPS 203) from @noble/post-quantum: Node 20 has no ML-KEM. Keys are generated from the caller's Rng
 * (a 64-byte seed d || z), encapsulation randomness likewise (32 bytes), so every value is reproducible in tests.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { abytes } from './bytes.js'
import type { Rng } from './random.js'
import { AuthenticationError, InvalidPublicKeyError } from '../errors.js'

/** ML-KEM-768 encapsulation key length in bytes (FIPS 203 Table 3). */
export const MLKEM768_PUBLIC_KEY_BYTES = 1184
/** ML-KEM-768 decapsulation key length in bytes. */
export const MLKEM768_SECRET_KEY_BYTES = 2400
/** ML-KEM-768 ciphertext length in bytes. */
export const MLKEM768_CIPHERTEXT_BYTES = 1088
/** ML-KEM shared secret length in bytes. */
export const MLKEM_SHARED_SECRET_BYTES = 32

export interface MlKemKeyPair {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

export function mlkem768KeyPair (rng: Rng): MlKemKeyPair {
  const seed = abytes(rng(64), 64, 'ml-kem seed')
  const { publicKey, secretKey } = ml_kem768.keygen(seed)
  seed.fill(0)
  return { publicKey, secretKey }
}

/** Encapsulates to `publicKey`; throws InvalidPublicKeyError if the key fails FIPS 203's modulus check (§7.2). */
export function mlkem768Encapsulate (publicKey: Uint8Array, rng: Rng): { cipherText: Uint8Array, sharedSecret: Uint8Array } {
  abytes(publicKey, MLKEM768_PUBLIC_KEY_BYTES, 'ml-kem public key')
  const m = abytes(rng(32), 32, 'ml-kem encapsulation randomness')
  try {
    return ml_kem768.encapsulate(publicKey, m)
  } catch {
    throw new InvalidPublicKeyError('ml-kem: invalid encapsulation key')
  } finally {
    m.fill(0)
  }
}

/** Decapsulates (implicit rejection: a wrong ciphertext yields an unrelated secret, never an error). */
export function mlkem768Decapsulate (cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  abytes(cipherText, MLKEM768_CIPHERTEXT_BYTES, 'ml-kem ciphertext')
  abytes(secretKey, MLKEM768_SECRET_KEY_BYTES, 'ml-kem secret key')
  try {
    return ml_kem768.decapsulate(cipherText, secretKey)
  } catch {
    throw new AuthenticationError('ml-kem: invalid decapsulation key')
  }
}
