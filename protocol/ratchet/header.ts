/**
 * Header encryption (PROTOCOL.md §6.4, Signal spec §4): the 40-byte header (ratchet public key || PN || N) sealed
 * with AES-256-GCM under a header key, a random nonce and the session's associated data. Knows nothing of chains.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'
import { InvalidArgumentError } from '../errors.js'
import { ENCRYPTED_HEADER_BYTES, HEADER_NONCE_BYTES, HEADER_PLAINTEXT_BYTES } from './constants.js'

const TAG_BYTES = 16

export interface Header {
  /** The sender's current ratchet public key (32 bytes). */
  dh: Uint8Array
  /** PN: number of messages in the sender's previous sending chain. */
  pn: number
  /** N: this message's number in the sender's current sending chain. */
  n: number
}

/** dh (32) || u32be(pn) || u32be(n). §6.4 */
export function encodeHeader (dh: Uint8Array, pn: number, n: number): Uint8Array {
  const out = new Uint8Array(HEADER_PLAINTEXT_BYTES)
  out.set(dh, 0)
  const v = new DataView(out.buffer)
  v.setUint32(32, pn, false)
  v.setUint32(36, n, false)
  return out
}

export function decodeHeader (b: Uint8Array): Header {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  return { dh: b.slice(0, 32), pn: v.getUint32(32, false), n: v.getUint32(36, false) }
}

/** nonce (12) || AES-256-GCM(hk, nonce, header, ad) → 68 bytes. */
export function sealHeader (hk: Uint8Array, plain: Uint8Array, ad: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (nonce.length !== HEADER_NONCE_BYTES) throw new InvalidArgumentError('rng returned a wrong-sized nonce')
  const c = createCipheriv('aes-256-gcm', hk, nonce, { authTagLength: TAG_BYTES })
  c.setAAD(ad)
  const out = new Uint8Array(ENCRYPTED_HEADER_BYTES)
  out.set(nonce, 0)
  const body = c.update(plain)
  out.set(body, HEADER_NONCE_BYTES)
  c.final()
  out.set(c.getAuthTag(), HEADER_NONCE_BYTES + HEADER_PLAINTEXT_BYTES)
  return out
}

/**
 * Returns the 40-byte header plaintext, or null when `hk` does not authenticate `enc` (length already checked).
 * A failed trial is the common case (spec's DecryptHeader tries several keys), and node:crypto reports it by
 * throwing: capturing no stack trace for that internal error makes the trial ~3x cheaper.
 */
export function openHeader (hk: Uint8Array, enc: Uint8Array, ad: Uint8Array): Uint8Array | null {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    const d = createDecipheriv('aes-256-gcm', hk, enc.subarray(0, HEADER_NONCE_BYTES), { authTagLength: TAG_BYTES })
    d.setAAD(ad)
    d.setAuthTag(enc.subarray(HEADER_NONCE_BYTES + HEADER_PLAINTEXT_BYTES))
    const plain = d.update(enc.subarray(HEADER_NONCE_BYTES, HEADER_NONCE_BYTES + HEADER_PLAINTEXT_BYTES))
    d.final()
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength)
  } catch {
    return null
  } finally {
    Error.stackTraceLimit = limit
  }
}
