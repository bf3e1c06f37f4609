/**
 * Hash, MAC and KDF primitives. HKDF is RFC 5869 with SHA-256; HMAC is RFC 2104 with SHA-256.
 * HMAC is written out on libsodium's one-shot SHA-256 (sodium-native): two hash calls on raw buffers, ~1.9 us here
 * against ~2.7 us for node:crypto's createHmac, which builds an object per call. The Double Ratchet makes ~9 HMACs
 * per message on each side, so this is on its hot path. Checked against the Wycheproof HMAC and HKDF vectors and
 * @noble.
 */
import { createHash } from 'node:crypto'
import sodium from 'sodium-native'
import { abytes, concat } from './bytes.js'
import { InvalidArgumentError } from '../errors.js'

/** SHA-256 block size: HMAC pads its key to this. */
const BLOCK_BYTES = 64
const HASH_BYTES = 32
/**
 * Scratch buffers reused by every call (JS is single-threaded here and nothing re-enters) and zeroed after each:
 * key ^ ipad || data, and key ^ opad || inner hash. Views of the inner buffer are kept per length, because making a
 * view costs as much as the XOR loops. Inputs longer than the scratch get a buffer of their own.
 */
const INNER_SCRATCH_BYTES = 512
const innerScratch = new Uint8Array(INNER_SCRATCH_BYTES)
const innerViews: Array<Uint8Array | undefined> = []
const outerScratch = new Uint8Array(BLOCK_BYTES + HASH_BYTES)
const outerHash = outerScratch.subarray(BLOCK_BYTES)
const COUNTERS = Array.from({ length: 256 }, (_, i) => Uint8Array.of(i))
const EMPTY = new Uint8Array(0)

/**
 * The pads are laid down whole (native copies) and the key XORed in as 32-bit words from a zeroed scratch: 8 word
 * operations for a 32-byte key instead of 128 byte operations, which is what an HMAC costs before V8 has optimised
 * it (a node's first thousand messages or so: 7-12 us per HMAC against ~2 us later). Every buffer here starts at
 * offset 0 of its own ArrayBuffer, so the word views are aligned; XOR does not care about byte order.
 */
const IPAD = new Uint8Array(BLOCK_BYTES).fill(0x36)
const OPAD = new Uint8Array(BLOCK_BYTES).fill(0x5c)
const keyScratch = new Uint8Array(BLOCK_BYTES)
const keyWords = new Uint32Array(keyScratch.buffer, 0, BLOCK_BYTES / 4)
const innerWords = new Uint32Array(innerScratch.buffer, 0, BLOCK_BYTES / 4)
const outerWords = new Uint32Array(outerScratch.buffer, 0, BLOCK_BYTES / 4)

function innerBuffer (len: number): Uint8Array {
  if (len > INNER_SCRATCH_BYTES) return new Uint8Array(len)
  return innerViews[len] ?? (innerViews[len] = innerScratch.subarray(0, len))
}

/** HMAC-SHA256(key, a || b || c) for a key of at most one block. */
function hmacParts (key: Uint8Array, a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const inner = innerBuffer(BLOCK_BYTES + a.length + b.length + c.length)
  const outer = outerScratch
  const iw = inner.buffer === innerScratch.buffer ? innerWords : new Uint32Array(inner.buffer, 0, BLOCK_BYTES / 4)
  inner.set(IPAD, 0)
  outer.set(OPAD, 0)
  keyScratch.set(key, 0)
  for (let i = 0, n = (key.length + 3) >>> 2; i < n; i++) { const w = keyWords[i]; iw[i] ^= w; outerWords[i] ^= w }
  keyScratch.fill(0)
  inner.set(a, BLOCK_BYTES)
  inner.set(b, BLOCK_BYTES + a.length)
  inner.set(c, BLOCK_BYTES + a.length + b.length)
  sodium.crypto_hash_sha256(outerHash, inner)
  const out = new Uint8Array(HASH_BYTES)
  sodium.crypto_hash_sha256(out, outer)
  inner.fill(0); outer.fill(0)
  return out
}

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
  for (const d of data) abytes(d, undefined, 'hmac data')
  let k = key
  if (k.length > BLOCK_BYTES) { // RFC 2104: a longer key is hashed first
    k = new Uint8Array(HASH_BYTES)
    sodium.crypto_hash_sha256(k, key)
  }
  let out: Uint8Array
  if (data.length <= 3) {
    out = hmacParts(k, data[0] ?? EMPTY, data[1] ?? EMPTY, data[2] ?? EMPTY)
  } else {
    const joined = concat(...data)
    out = hmacParts(k, joined, EMPTY, EMPTY)
    joined.fill(0)
  }
  if (k !== key) k.fill(0)
  return out
}

/** HKDF-SHA256 (RFC 5869). An empty salt means HashLen zero bytes, as the RFC says (HMAC pads keys with zeros). */
export function hkdf (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  abytes(ikm, undefined, 'hkdf ikm'); abytes(salt, undefined, 'hkdf salt'); abytes(info, undefined, 'hkdf info')
  if (!Number.isInteger(length) || length < 1 || length > 255 * HASH_BYTES) throw new InvalidArgumentError('hkdf: bad length')
  const prk = hmacSha256(salt, ikm) // salt may be longer than a block; prk never is
  const out = new Uint8Array(length)
  let prev: Uint8Array = EMPTY
  for (let i = 1, o = 0; o < length; i++, o += HASH_BYTES) {
    const t = hmacParts(prk, prev, info, COUNTERS[i])
    prev.fill(0)
    out.set(length - o >= HASH_BYTES ? t : t.subarray(0, length - o), o)
    prev = t
  }
  prk.fill(0); prev.fill(0)
  return out
}
