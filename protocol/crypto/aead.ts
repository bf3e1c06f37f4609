/**
 * AEAD: AES-256-GCM with a 96-bit nonce and a 128-bit tag (NIST SP 800-38D), on node:crypto
 * (~6x noble's speed here). Output of `seal` is ciphertext || tag. PROTOCOL.md §Primitives.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'
import { abytes } from './bytes.js'
import { AuthenticationError } from '../errors.js'

/** AES-256-GCM key length in bytes. */
export const AEAD_KEY_BYTES = 32
/** AES-GCM nonce length in bytes. */
export const AEAD_NONCE_BYTES = 12
/** AES-GCM tag length in bytes. */
export const AEAD_TAG_BYTES = 16

const EMPTY = new Uint8Array(0)

export function aeadSeal (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
  abytes(key, AEAD_KEY_BYTES, 'aead key'); abytes(nonce, AEAD_NONCE_BYTES, 'aead nonce')
  abytes(plaintext, undefined, 'plaintext'); abytes(ad, undefined, 'associated data')
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: AEAD_TAG_BYTES })
  c.setAAD(ad)
  const head = c.update(plaintext)
  const tail = c.final()
  const tag = c.getAuthTag()
  const out = new Uint8Array(head.length + tail.length + AEAD_TAG_BYTES)
  out.set(head, 0); out.set(tail, head.length); out.set(tag, head.length + tail.length)
  return out
}

/** Opens ciphertext || tag; throws AuthenticationError on any mismatch. */
export function aeadOpen (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
  abytes(key, AEAD_KEY_BYTES, 'aead key'); abytes(nonce, AEAD_NONCE_BYTES, 'aead nonce')
  abytes(sealed, undefined, 'ciphertext'); abytes(ad, undefined, 'associated data')
  if (sealed.length < AEAD_TAG_BYTES) throw new AuthenticationError('ciphertext shorter than the tag')
  const ctLen = sealed.length - AEAD_TAG_BYTES
  try {
    const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: AEAD_TAG_BYTES })
    d.setAAD(ad)
    d.setAuthTag(sealed.subarray(ctLen))
    const head = d.update(sealed.subarray(0, ctLen))
    const tail = d.final()
    if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length)
    const out = new Uint8Array(head.length + tail.length)
    out.set(head, 0); out.set(tail, head.length)
    return out
  } catch {
    throw new AuthenticationError()
  }
}
