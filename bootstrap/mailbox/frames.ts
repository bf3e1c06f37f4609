/**
 * Framing of /tern/mailbox/1.0.0 (PROTOCOL.md §8.1): varint length || message, decoded by protocol/framing so that
 * every limit holds while decoding: the length prefix is at most MAX_LENGTH_BYTES (4) bytes and at most
 * MAX_FRAME_BYTES; anything else is a MailboxProtocolError.
 * `FrameReader` adapts a libp2p message stream to `next()` with a bounded queue of undelivered frames, and aborts a
 * stream whose frame, once begun, is not complete within the frame timeout (a stalled prefix must not hold a stream).
 */
import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { FrameDecoder as SharedFrameDecoder, encodeFrame, encodeLength, maxPrefixBytes } from '../../protocol/framing/index.js'
import { FRAME_TIMEOUT_MS, MAX_FRAME_BYTES } from './constants.js'
import { MailboxProtocolError } from './errors.js'

export { encodeFrame }

/** Longest length prefix accepted: ceil(22 bits / 7) for MAX_FRAME_BYTES = 2 MiB. */
export const MAX_LENGTH_BYTES = maxPrefixBytes(MAX_FRAME_BYTES)
/** Undelivered frame bytes a reader holds before it pauses the stream. */
export const READER_HIGH_WATER_BYTES = 4 * 1024 * 1024

/** The shared decoder (protocol/framing), with this protocol's limit and error. */
export class FrameDecoder extends SharedFrameDecoder {
  constructor (maxFrameBytes = MAX_FRAME_BYTES) {
    super(maxFrameBytes, (message) => new MailboxProtocolError(message))
  }
}

/**
 * Reads frames from a message stream. `next()` resolves with the next frame, `null` when the remote closed its
 * write side cleanly between frames, and rejects when the stream failed or sent a malformed frame (the stream
 * is then aborted). Past READER_HIGH_WATER_BYTES of undelivered frames the stream is paused. A frame whose first
 * byte arrived more than `frameTimeoutMs` ago and that is still incomplete fails the reader with a
 * MailboxProtocolError and aborts the stream; between frames a stream may stay idle (subscriptions do).
 */
export class FrameReader {
  private readonly decoder: FrameDecoder
  private readonly queue: Uint8Array[] = []
  private queuedBytes = 0
  private ended = false
  private error?: Error
  private wake?: () => void
  private paused = false
  /** runs while a frame is partly buffered; fires when it has not completed in time */
  private stallTimer?: ReturnType<typeof setTimeout>

  constructor (private readonly stream: Stream, maxFrameBytes = MAX_FRAME_BYTES, private readonly frameTimeoutMs = FRAME_TIMEOUT_MS) {
    this.decoder = new FrameDecoder(maxFrameBytes)
    stream.addEventListener('message', (evt) => {
      if (this.error !== undefined) return
      const before = this.decoder.buffered
      let completed = 0
      try {
        for (const f of this.decoder.push(evt.data)) { this.queue.push(f); this.queuedBytes += f.length; completed++ }
      } catch (err) {
        this.fail(err as Error)
      }
      if (this.error === undefined) this.watchPartial(before === 0 || completed > 0)
      if (this.queuedBytes > READER_HIGH_WATER_BYTES && !this.paused) { this.paused = true; stream.pause() }
      this.signal()
    })
    stream.addEventListener('remoteCloseWrite', () => { this.ended = true; this.signal() })
    stream.addEventListener('close', (evt) => {
      this.ended = true
      this.clearStallTimer()
      if (evt.error != null && this.error === undefined) this.error = evt.error
      this.signal()
    })
  }

  /** (Re)arms the stall timer when a new frame has begun, clears it between frames. */
  private watchPartial (newFrame: boolean): void {
    if (this.decoder.buffered === 0) { this.clearStallTimer(); return }
    if (!newFrame && this.stallTimer !== undefined) return
    this.clearStallTimer()
    if (!(this.frameTimeoutMs > 0 && Number.isFinite(this.frameTimeoutMs))) return
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined
      this.fail(new MailboxProtocolError(`frame not complete within ${this.frameTimeoutMs} ms`))
      this.signal()
    }, this.frameTimeoutMs)
    this.stallTimer.unref?.()
  }

  private clearStallTimer (): void {
    if (this.stallTimer !== undefined) { clearTimeout(this.stallTimer); this.stallTimer = undefined }
  }

  private fail (err: Error): void {
    if (this.error !== undefined) return
    this.error = err
    this.clearStallTimer()
    this.stream.abort(err)
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
