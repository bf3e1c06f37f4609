/**
 * Frame codecs of /tern/msg/1.0.0 (PROTOCOL.md §12.2). Pure.
 * - Framing: unsigned LEB128 varint length ‖ body, byte-for-byte what `lpStream` of @libp2p/utils writes, but read by
 *   our own incremental decoder so that every limit holds while decoding (§12.4): the prefix is at most
 *   `maxPrefixBytes(maxFrameBytes)` bytes and the declared length at most `maxFrameBytes`, both checked before any
 *   body byte is buffered. (`lpStream` 7.4 reads an unterminated varint forever, one byte at a time: ~100 bytes of
 *   heap per byte received. bootstrap/mailbox/frames.ts bounds its prefix the same way, §8.1.)
 * - Envelope frames carry the envelope bytes as they are (the envelope is versioned by its own first byte); an ack
 *   is two bytes: ACK_VERSION, status.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { ACK_BYTES, ACK_VERSION, AckStatus, MAX_FRAME_BYTES, type AckStatusCode } from './constants.js'
import { MsgProtocolError } from './errors.js'

/** Bytes of the shortest varint that can encode `maxFrameBytes`: the longest prefix a reader accepts (3 for 96 KiB). */
export function maxPrefixBytes (maxFrameBytes: number): number {
  let n = 1
  while (maxFrameBytes >= 128) { maxFrameBytes = Math.floor(maxFrameBytes / 128); n++ }
  return n
}

/** varint(len) of a frame body; minimal encoding, as lpStream writes it. */
export function encodeLength (n: number): Uint8Array {
  const prefix: number[] = []
  do {
    let b = n & 0x7f
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    prefix.push(b)
  } while (n > 0)
  return Uint8Array.from(prefix)
}

/** One whole frame: varint(len) ‖ msg. */
export function encodeFrame (msg: Uint8Array): Uint8Array {
  const prefix = encodeLength(msg.length)
  const out = new Uint8Array(prefix.length + msg.length)
  out.set(prefix, 0); out.set(msg, prefix.length)
  return out
}

/**
 * Incremental frame decoder: push bytes, get whole frames. Rejects, with MsgProtocolError and nothing else:
 * a prefix longer than `maxPrefixBytes` (reason 'prefix-too-long', as soon as that many bytes have no terminator),
 * then a declared length over `maxFrameBytes` ('frame-too-large', before any body byte is kept). Non-minimal
 * prefixes within the byte bound are accepted (lpStream accepted them too). After a throw the decoder is spent, and
 * frames completed earlier in the failing chunk are dropped with it (the caller aborts the stream).
 * Memory: at most one partial frame (prefix + body ≤ maxFrameBytes) plus the chunk being pushed.
 */
export class FrameDecoder {
  private readonly buf = new Uint8ArrayList()
  private need = -1 // body length of the frame being read, once its prefix is parsed
  private prefixLen = 0
  private failed: MsgProtocolError | undefined
  readonly maxFrameBytes: number
  readonly maxPrefixBytes: number

  constructor (maxFrameBytes = MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes
    this.maxPrefixBytes = maxPrefixBytes(maxFrameBytes)
  }

  /** Bytes held that do not yet form a frame (0 between frames). */
  get buffered (): number { return this.buf.byteLength }

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
          if (i >= this.maxPrefixBytes) this.fail(new MsgProtocolError(`frame length prefix over ${this.maxPrefixBytes} bytes`, 'prefix-too-long'))
          break
        }
        if (len > this.maxFrameBytes) this.fail(new MsgProtocolError(`frame of ${len} bytes over the limit of ${this.maxFrameBytes}`, 'frame-too-large'))
        this.need = len; this.prefixLen = i
      }
      if (this.buf.byteLength < this.prefixLen + this.need) break
      frames.push(this.buf.subarray(this.prefixLen, this.prefixLen + this.need))
      this.buf.consume(this.prefixLen + this.need)
      this.need = -1
    }
    return frames
  }

  private fail (err: MsgProtocolError): never {
    this.failed = err
    this.buf.consume(this.buf.byteLength)
    throw err
  }
}

export function encodeAck (status: AckStatusCode): Uint8Array {
  return Uint8Array.of(ACK_VERSION, status)
}

/** Rejects in order: wrong length → unknown version → unknown status. */
export function decodeAck (bytes: Uint8Array): AckStatusCode {
  if (bytes.length !== ACK_BYTES) throw new MsgProtocolError(`ack: expected ${ACK_BYTES} bytes, got ${bytes.length}`)
  if (bytes[0] !== ACK_VERSION) throw new MsgProtocolError(`ack: unknown version ${bytes[0]}`)
  const s = bytes[1]
  if (s !== AckStatus.OK && s !== AckStatus.RETRY && s !== AckStatus.REJECTED) throw new MsgProtocolError(`ack: unknown status ${s}`)
  return s as AckStatusCode
}
