/**
 * Length-prefixed framing shared by Tern's stream protocols (/tern/msg, PROTOCOL.md §12.2; /tern/mailbox, §8.1).
 * Pure: no streams, no timers.
 * A frame is unsigned LEB128 varint(len) ‖ body, byte for byte what `lpStream` of @libp2p/utils writes, but read by
 * this incremental decoder so that every limit holds while decoding: the prefix is at most
 * `maxPrefixBytes(maxFrameBytes)` bytes and the declared length at most `maxFrameBytes`, both checked before any
 * body byte is buffered. (`lpStream` 7.4 reads an unterminated varint forever, one byte at a time: ~100 bytes of heap
 * per byte received.) Each protocol gives the decoder its own limit and its own typed error.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { TernError } from '../errors.js'

/** Why a frame broke the framing rules; stable values, for tests and logs. */
export type FramingFailure = 'prefix-too-long' | 'frame-too-large'

/** The decoder's own error, used when the protocol supplies none. */
export class FramingError extends TernError {
  readonly reason: FramingFailure
  constructor (message: string, reason: FramingFailure) {
    super('ERR_FRAMING', message)
    this.reason = reason
  }
}

/** Makes the protocol's typed error for a framing failure. */
export type FramingErrorFactory = (message: string, reason: FramingFailure) => Error

/** Bytes of the shortest varint that can encode `maxFrameBytes`: the longest prefix a reader accepts (3 for 96 KiB). */
export function maxPrefixBytes (maxFrameBytes: number): number {
  let n = 1
  while (maxFrameBytes >= 128) { maxFrameBytes = Math.floor(maxFrameBytes / 128); n++ }
  return n
}

/** varint(len) of a frame body; minimal encoding, as lpStream writes it. */
export function encodeLength (n: number): Uint8Array {
  // sized first, then filled: no array and no iterator (this runs for every frame and ack, before V8 optimises it)
  let len = 1
  for (let m = Math.floor(n / 128); m > 0; m = Math.floor(m / 128)) len++
  const out = new Uint8Array(len)
  for (let i = 0; i < len; i++) {
    const b = n % 128
    n = Math.floor(n / 128)
    out[i] = i < len - 1 ? b | 0x80 : b
  }
  return out
}

/** One whole frame: varint(len) ‖ msg. */
export function encodeFrame (msg: Uint8Array): Uint8Array {
  const prefix = encodeLength(msg.length)
  const out = new Uint8Array(prefix.length + msg.length)
  out.set(prefix, 0); out.set(msg, prefix.length)
  return out
}

/**
 * Incremental frame decoder: push bytes, get whole frames. Rejects, with the protocol's error and nothing else:
 * a prefix longer than `maxPrefixBytes` ('prefix-too-long', as soon as that many bytes have no terminator), then a
 * declared length over `maxFrameBytes` ('frame-too-large', before any body byte is kept). Non-minimal prefixes within
 * the byte bound are accepted (lpStream accepted them too). After a throw the decoder is spent, and frames completed
 * earlier in the failing chunk are dropped with it (the caller aborts the stream). Chunks are kept in a list and each
 * frame is copied at most once, so tiny chunks cost linear time.
 * Memory: at most one partial frame (prefix + body ≤ maxFrameBytes) plus the chunk being pushed.
 */
export class FrameDecoder {
  private readonly buf = new Uint8ArrayList()
  private need = -1 // body length of the frame being read, once its prefix is parsed
  private prefixLen = 0
  private failed: Error | undefined
  readonly maxFrameBytes: number
  readonly maxPrefixBytes: number
  private readonly makeError: FramingErrorFactory

  constructor (maxFrameBytes: number, makeError: FramingErrorFactory = (m, r) => new FramingError(m, r)) {
    this.maxFrameBytes = maxFrameBytes
    this.maxPrefixBytes = maxPrefixBytes(maxFrameBytes)
    this.makeError = makeError
  }

  /** Bytes held that do not yet form a frame (0 between frames). */
  get buffered (): number { return this.buf.byteLength }

  /** Declared body length of the frame being read, once its prefix is complete; -1 before (and between frames). */
  get pendingLength (): number { return this.need }

  push (chunk: Uint8Array | Uint8ArrayList): Uint8Array[] {
    if (this.failed !== undefined) throw this.failed
    this.buf.append(chunk)
    const frames: Uint8Array[] = []
    while (true) {
      if (this.need < 0) {
        let len = 0; let shift = 1; let i = 0; let done = false
        const avail = Math.min(this.maxPrefixBytes, this.buf.byteLength)
        for (; i < avail; i++) {
          const b = this.buf.get(i)
          len += (b & 0x7f) * shift
          shift *= 128
          if ((b & 0x80) === 0) { done = true; i++; break }
        }
        if (!done) {
          if (i >= this.maxPrefixBytes) this.fail(`frame length prefix over ${this.maxPrefixBytes} bytes`, 'prefix-too-long')
          break
        }
        if (len > this.maxFrameBytes) this.fail(`frame of ${len} bytes over the limit of ${this.maxFrameBytes}`, 'frame-too-large')
        this.need = len; this.prefixLen = i
      }
      if (this.buf.byteLength < this.prefixLen + this.need) break
      frames.push(this.buf.subarray(this.prefixLen, this.prefixLen + this.need))
      this.buf.consume(this.prefixLen + this.need)
      this.need = -1
    }
    return frames
  }

  private fail (message: string, reason: FramingFailure): never {
    this.failed = this.makeError(message, reason)
    this.buf.consume(this.buf.byteLength)
    throw this.failed
  }
}
