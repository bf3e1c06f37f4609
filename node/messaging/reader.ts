/**
 * Bounded frame I/O on a libp2p message stream for /tern/msg/1.0.0 (PROTOCOL.md §12.2, §12.4).
 * Owns: turning 'message' events into whole frames through FrameDecoder, the idle and per-frame deadlines, and
 * back-pressure (the stream is paused while too many undelivered frames are queued). Must not know: what a frame
 * means (envelope or ack), acks, handlers.
 * Replaces `lpStream`, whose reader has no bound on the length prefix (see frames.ts); the bytes on the wire are the same.
 */
import type { AbortOptions, Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { FRAME_QUEUE_HIGH_WATER_BYTES, FRAME_QUEUE_MAX } from './constants.js'
import { MsgProtocolError, StreamIdleError } from './errors.js'
import { FrameDecoder, encodeLength } from './frames.js'

export interface FrameReaderInit {
  /** largest frame body accepted (bytes) */
  maxFrameBytes: number
  /** undelivered frame bytes held before the stream is paused */
  highWaterBytes?: number
  /** undelivered frames held before the stream is paused */
  maxQueuedFrames?: number
  /** clock (ms), for tests */
  now?: () => number
}

export interface NextOptions {
  /** rejects with the signal's reason when it aborts; the stream is left to the caller */
  signal?: AbortSignal
  /** no byte of a next frame for this long (ms) → StreamIdleError; the stream is left to the caller */
  idleTimeoutMs?: number
  /**
   * a frame begun but not finished this long (ms) after its first byte, or after next() was called if later →
   * MsgProtocolError 'stalled' and the stream is aborted
   */
  frameTimeoutMs?: number
}

/**
 * Reads frames from a message stream; one `next()` at a time. `next()` resolves with the next frame body, `null`
 * when the remote closed its write side cleanly between frames, and rejects with MsgProtocolError (over-long prefix,
 * oversized, truncated or stalled frame: the reader has aborted the stream), StreamIdleError, the signal's reason,
 * or the error the stream closed with.
 */
export class FrameReader {
  private readonly stream: Stream
  private readonly decoder: FrameDecoder
  private readonly highWaterBytes: number
  private readonly maxQueuedFrames: number
  private readonly now: () => number
  private readonly queue: Uint8Array[] = []
  private queuedBytes = 0
  private ended = false
  private error: Error | undefined
  private wake: (() => void) | undefined
  private paused = false
  /** when the first byte of the frame now partly buffered arrived */
  private partialSince = 0

  constructor (stream: Stream, init: FrameReaderInit) {
    this.stream = stream
    this.decoder = new FrameDecoder(init.maxFrameBytes)
    this.highWaterBytes = init.highWaterBytes ?? Math.max(FRAME_QUEUE_HIGH_WATER_BYTES, 2 * init.maxFrameBytes)
    this.maxQueuedFrames = init.maxQueuedFrames ?? FRAME_QUEUE_MAX
    this.now = init.now ?? Date.now
    stream.addEventListener('message', (evt) => { this.handleMessage(evt.data) })
    stream.addEventListener('remoteCloseWrite', () => { this.ended = true; this.signal() })
    stream.addEventListener('close', (evt) => {
      this.ended = true
      if (evt.error != null && this.error === undefined) this.error = evt.error
      this.signal()
    })
  }

  /** Why the stream failed, once it has (a MsgProtocolError when the peer broke the framing). */
  get failure (): Error | undefined { return this.error }

  private handleMessage (data: Uint8Array | Uint8ArrayList): void {
    if (this.error !== undefined) return
    const before = this.decoder.buffered
    try {
      const frames = this.decoder.push(data)
      for (const f of frames) { this.queue.push(f); this.queuedBytes += f.length }
      if (this.decoder.buffered > 0 && (before === 0 || frames.length > 0)) this.partialSince = this.now()
    } catch (err) {
      this.fail(err as MsgProtocolError)
    }
    if (this.shouldPause()) { this.paused = true; this.stream.pause() }
    this.signal()
  }

  private shouldPause (): boolean {
    return !this.paused && this.error === undefined && (this.queuedBytes > this.highWaterBytes || this.queue.length > this.maxQueuedFrames)
  }

  private fail (err: Error): Error {
    if (this.error === undefined) this.error = err
    this.queue.length = 0
    this.queuedBytes = 0
    this.stream.abort(err)
    this.signal()
    return this.error
  }

  private signal (): void { const w = this.wake; this.wake = undefined; w?.() }

  async next (opts: NextOptions = {}): Promise<Uint8Array | null> {
    const calledAt = this.now()
    while (true) {
      // frames that arrived before the stream failed are still delivered (a REJECTED ack written just before an abort)
      if (this.error !== undefined && this.queue.length === 0) throw this.error
      const f = this.queue.shift()
      if (f !== undefined) {
        this.queuedBytes -= f.length
        if (this.paused && this.queuedBytes <= this.highWaterBytes / 2 && this.queue.length <= this.maxQueuedFrames / 2) {
          this.paused = false
          this.stream.resume()
        }
        return f
      }
      if (this.ended) {
        if (this.decoder.buffered > 0) throw this.fail(new MsgProtocolError('stream ended inside a frame', 'truncated'))
        return null
      }
      if (opts.signal?.aborted === true) throw abortReason(opts.signal)
      const partial = this.decoder.buffered > 0
      const limit = partial ? opts.frameTimeoutMs : opts.idleTimeoutMs
      const deadline = limit === undefined ? Infinity : (partial ? Math.max(this.partialSince, calledAt) : calledAt) + limit
      const remaining = deadline - this.now()
      if (remaining <= 0) {
        if (partial) throw this.fail(new MsgProtocolError(`frame not complete within ${limit} ms`, 'stalled'))
        throw new StreamIdleError(`no frame within ${limit} ms`)
      }
      await this.waitForEvent(remaining, opts.signal)
    }
  }

  /** Resolves on the next stream event or after `ms`; rejects when `signal` aborts. */
  private async waitForEvent (ms: number, signal?: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.wake = undefined
      }
      const onAbort = (): void => { done(); reject(abortReason(signal!)) }
      this.wake = () => { done(); resolve() }
      if (Number.isFinite(ms)) timer = setTimeout(() => { done(); resolve() }, ms)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}

function abortReason (signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted')
}

/** Writes one frame, varint(len) ‖ msg; waits for the stream to drain when its buffer is full. */
export async function writeFrame (stream: Stream, msg: Uint8Array, options?: AbortOptions): Promise<void> {
  if (!stream.send(new Uint8ArrayList(encodeLength(msg.length), msg))) await stream.onDrain(options)
}
