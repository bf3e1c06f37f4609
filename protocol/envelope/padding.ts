/**
 * Length-hiding padding of ratchet plaintexts (PROTOCOL.md §7.3): content || 0x80 || 0x00… up to the smallest
 * bucket ≥ len + 1 (ISO/IEC 7816-4, as Signal pads). Deterministic: no randomness, so the same content always pads the
 * same way and the padded length depends only on the bucket.
 */
import { InvalidArgumentError } from '../errors.js'
import { MAX_CONTENT_BYTES, PADDING_BUCKETS } from './constants.js'
import { MessageTooLargeError, PaddingError } from './errors.js'

const MARKER = 0x80

/** The padded length for `contentLength` bytes of content; throws MessageTooLargeError past the largest bucket − 1. */
export function paddedLength (contentLength: number): number {
  if (!Number.isSafeInteger(contentLength) || contentLength < 0) throw new InvalidArgumentError('contentLength: expected a non-negative integer')
  for (const bucket of PADDING_BUCKETS) {
    if (bucket >= contentLength + 1) return bucket
  }
  throw new MessageTooLargeError(contentLength, MAX_CONTENT_BYTES)
}

/** Pads `content` into a fresh buffer of a bucket's length. */
export function pad (content: Uint8Array): Uint8Array {
  if (!(content instanceof Uint8Array)) throw new InvalidArgumentError('content: expected Uint8Array')
  const out = new Uint8Array(paddedLength(content.length))
  out.set(content, 0)
  out[content.length] = MARKER
  return out
}

/** A run of zeros to compare against (native compares, not a byte loop: see unpad). */
const ZEROS = new Uint8Array(4096)

function allZero (b: Uint8Array): boolean {
  for (let o = 0; o < b.length; o += ZEROS.length) {
    const n = Math.min(ZEROS.length, b.length - o)
    if (Buffer.compare(b.subarray(o, o + n), ZEROS.subarray(0, n)) !== 0) return false
  }
  return true
}

/** Returns the content of a padded buffer (a view into `padded`); throws PaddingError unless it is exactly pad(content). */
export function unpad (padded: Uint8Array): Uint8Array {
  if (!(padded instanceof Uint8Array)) throw new InvalidArgumentError('padded: expected Uint8Array')
  if (!PADDING_BUCKETS.includes(padded.length)) throw new PaddingError(`length ${padded.length} is not a bucket`)
  // the usual case with native searches: a short text leaves ~200 zero bytes, a byte loop over them costs a receiver
  // several microseconds per message before V8 optimises it; anything else takes the byte loop for its exact error
  const m = padded.lastIndexOf(MARKER)
  if (m >= 0 && allZero(padded.subarray(m + 1))) return padded.subarray(0, m)
  let i = padded.length - 1
  while (i >= 0 && padded[i] === 0) i--
  if (i < 0) throw new PaddingError('no 0x80 marker')
  if (padded[i] !== MARKER) throw new PaddingError(`byte before the zero run is 0x${padded[i].toString(16)}, not 0x80`)
  return padded.subarray(0, i)
}
