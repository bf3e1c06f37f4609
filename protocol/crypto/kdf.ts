/**
 * Hash, MAC and KDF primitives on node:crypto (faster than noble here: shared/STACK-NOTES.md).
 * HKDF is RFC 5869 with SHA-256; HMAC is RFC 2104 with SHA-256.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto'
import { abytes } from './bytes.js'
import { InvalidArgumentError } from '../errors.js'

export function sha256 (...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

export function sha512 (...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

export function hmacSha256 (key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  abytes(key, undefined, 'hmac key')
  const h = createHmac('sha256', key)
  for (const d of data) h.update(d)
  return new Uint8Array(h.digest())
}

/** HKDF-SHA256 (RFC 5869). An empty salt means HashLen zero bytes, as the RFC says. */
export function hkdf (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  abytes(ikm, undefined, 'hkdf ikm'); abytes(salt, undefined, 'hkdf salt'); abytes(info, undefined, 'hkdf info')
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new InvalidArgumentError('hkdf: bad length')
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))
}
