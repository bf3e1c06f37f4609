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
import { FRAME_MIN_BYTES_PER_SECOND, FRAME_TIMEOUT_MS, MAX_FRAME_BYTES } from './constants.js'
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
 * is then aborted). Past READER_HIGH_WATER_BYTES of undelivered frames the stream is paused. A frame still
 * incomplete `frameTimeoutMs` plus its declared length at FRAME_MIN_BYTES_PER_SECOND after its first byte fails the
 * reader with a MailboxProtocolError and aborts the stream; the clock stops while this reader has paused the stream
 * (the delay is then ours) and starts afresh on resume. Between frames a stream may stay idle (subscriptions do).
 */
export class FrameReader {
  private readonly decoder: FrameDecoder
  private readonly queue: Uint8Array[] = []
  private queuedBytes = 0
  private ended = false
  private error?: Error
  private wake?: () => void
  private paused = false
  /** runs while a frame is partly buffered and the stream flows; fires when the frame has not completed in time */
  private stallTimer?: ReturnType<typeof setTimeout>
  /** when the partly buffered frame began (or the stream resumed), and the deadline the timer is set for */
  private frameStart = 0
  private deadline = 0

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
      if (this.queuedBytes > READER_HIGH_WATER_BYTES && !this.paused) { this.paused = true; stream.pause() }
      if (this.error === undefined) this.watchPartial(before === 0 || completed > 0)
      this.signal()
    })
    stream.addEventListener('remoteCloseWrite', () => { this.ended = true; this.clearStallTimer(); this.signal() })
    stream.addEventListener('close', (evt) => {
      this.ended = true
      this.clearStallTimer()
      if (evt.error != null && this.error === undefined) this.error = evt.error
      this.signal()
    })
  }

  /**
   * Keeps the stall timer in step with the partly buffered frame: none between frames or while paused; a fresh
   * start when a new frame begins; a later deadline once the frame's length is known.
   */
  private watchPartial (newFrame: boolean): void {
    if (this.decoder.buffered === 0 || this.paused) { this.clearStallTimer(); return }
    if (!(this.frameTimeoutMs > 0 && Number.isFinite(this.frameTimeoutMs))) return
    if (newFrame || this.stallTimer === undefined) this.frameStart = Date.now()
    const len = this.decoder.pendingLength
    const deadline = this.frameStart + this.frameTimeoutMs + (len > 0 ? Math.ceil(len * 1000 / FRAME_MIN_BYTES_PER_SECOND) : 0)
    if (this.stallTimer !== undefined && deadline === this.deadline) return
    this.clearStallTimer()
    this.deadline = deadline
    const allowed = deadline - this.frameStart
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined
      this.fail(new MailboxProtocolError(`frame not complete within ${allowed} ms`))
      this.signal()
    }, Math.max(0, deadline - Date.now()))
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
        if (this.paused && this.queuedBytes < READER_HIGH_WATER_BYTES / 2) {
          this.paused = false
          this.stream.resume()
          this.watchPartial(true) // the frame's clock starts afresh: the pause was ours
        }
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
