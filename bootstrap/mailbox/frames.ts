/**
 * Framing of /tern/mailbox/1.0.0 (PROTOCOL.md §8.1): unsigned LEB128 varint length || message, as lpStream writes
 * it, but read by our own decoder so that every limit holds while decoding: the length prefix is at most
 * MAX_LENGTH_BYTES (4) bytes and at most MAX_FRAME_BYTES; anything else is a MailboxProtocolError. (lpStream of
 * @libp2p/utils 7.4 keeps reading an unterminated varint forever, one byte at a time.)
 * `FrameReader` adapts a libp2p message stream to `next()` with a bounded queue of undelivered frames.
 */
import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { MAX_FRAME_BYTES } from './constants.js'
import { MailboxProtocolError } from './errors.js'

/** Longest length prefix accepted: ceil(22 bits / 7) for MAX_FRAME_BYTES = 2 MiB. */
export const MAX_LENGTH_BYTES = 4
/** Undelivered frame bytes a reader holds before it pauses the stream. */
export const READER_HIGH_WATER_BYTES = 4 * 1024 * 1024

export function encodeFrame (msg: Uint8Array): Uint8Array {
  const prefix = encodeLength(msg.length)
  const out = new Uint8Array(prefix.length + msg.length)
  out.set(prefix, 0); out.set(msg, prefix.length)
  return out
}

function encodeLength (n: number): Uint8Array {
  const prefix: number[] = []
  do {
    let b = n & 0x7f
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    prefix.push(b)
  } while (n > 0)
  return Uint8Array.from(prefix)
}

/**
 * Incremental frame decoder: push bytes, get whole frames. Throws MailboxProtocolError, nothing else. Chunks are
 * kept in a list and each frame is copied at most once, so tiny chunks cost linear time.
 */
export class FrameDecoder {
  private readonly buf = new Uint8ArrayList()
  private need = -1 // body length of the frame being read, once its prefix is parsed
  private prefixLen = 0
  constructor (private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Bytes held that do not yet form a frame. */
  get buffered (): number { return this.buf.byteLength }

  push (chunk: Uint8Array | Uint8ArrayList): Uint8Array[] {
    this.buf.append(chunk)
    const frames: Uint8Array[] = []
    while (true) {
      if (this.need < 0) {
        let len = 0; let shift = 1; let i = 0; let done = false
        const avail = Math.min(MAX_LENGTH_BYTES, this.buf.byteLength)
        for (; i < avail; i++) {
          const b = this.buf.get(i)
          len += (b & 0x7f) * shift
          shift *= 128
          if ((b & 0x80) === 0) { done = true; i++; break }
        }
        if (!done) {
          if (i >= MAX_LENGTH_BYTES) throw new MailboxProtocolError('frame length prefix too long')
          break
        }
        if (len > this.maxFrameBytes) throw new MailboxProtocolError(`frame of ${len} bytes over the limit`)
        this.need = len; this.prefixLen = i
      }
      if (this.buf.byteLength < this.prefixLen + this.need) break
      frames.push(this.buf.subarray(this.prefixLen, this.prefixLen + this.need))
      this.buf.consume(this.prefixLen + this.need)
      this.need = -1
    }
    return frames
  }
}

/**
 * Reads frames from a message stream. `next()` resolves with the next frame, `null` when the remote closed its
 * write side cleanly between frames, and rejects when the stream failed or sent a malformed frame (the stream
 * is then aborted). Past READER_HIGH_WATER_BYTES of undelivered frames the stream is paused.
 */
export class FrameReader {
  private readonly decoder: FrameDecoder
  private readonly queue: Uint8Array[] = []
  private queuedBytes = 0
  private ended = false
  private error?: Error
  private wake?: () => void
  private paused = false

  constructor (private readonly stream: Stream, maxFrameBytes = MAX_FRAME_BYTES) {
    this.decoder = new FrameDecoder(maxFrameBytes)
    stream.addEventListener('message', (evt) => {
      if (this.error !== undefined) return
      try {
        for (const f of this.decoder.push(evt.data)) { this.queue.push(f); this.queuedBytes += f.length }
      } catch (err) {
        this.error = err as Error
        stream.abort(this.error)
      }
      if (this.queuedBytes > READER_HIGH_WATER_BYTES && !this.paused) { this.paused = true; stream.pause() }
      this.signal()
    })
    stream.addEventListener('remoteCloseWrite', () => { this.ended = true; this.signal() })
    stream.addEventListener('close', (evt) => {
      this.ended = true
      if (evt.error != null && this.error === undefined) this.error = evt.error
      this.signal()
    })
  }

  private signal (): void { const w = this.wake; this.wake = undefined; w?.() }

  async next (): Promise<Uint8Array | null> {
    while (true) {
      if (this.error !== undefined && this.queue.length === 0) throw this.error
      const f = this.queue.shift()
      if (f !== undefined) {
        this.queuedBytes -= f.length
        if (this.paused && this.queuedBytes < READER_HIGH_WATER_BYTES / 2) { this.paused = false; this.stream.resume() }
        return f
      }
      if (this.ended) {
        if (this.decoder.buffered > 0) throw new MailboxProtocolError('stream ended inside a frame')
        return null
      }
      await new Promise<void>(resolve => { this.wake = resolve })
    }
  }
}

/** Writes one frame; waits for the stream to drain when its buffer is full. */
export async function writeFrame (stream: Stream, msg: Uint8Array): Promise<void> {
  if (!stream.send(new Uint8ArrayList(encodeLength(msg.length), msg))) await stream.onDrain()
}
