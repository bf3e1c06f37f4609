/**
 * The /tern/msg/1.0.0 service (PROTOCOL.md §12): carries opaque envelopes between two Tern nodes over a libp2p
 * connection, direct or relayed, and acknowledges each one only after the receiver's handler resolved (acks held a
 * few ms and written several at once: held-acks.ts).
 * Owns: the stream handler, the per-connection outbound stream (frames are written on it as they come, without
 * waiting for earlier acks; acks come back in frame order and are matched in that order: PROTOCOL.md §12.1), limits. Frames are read by FrameReader (reader.ts), never lpStream: its prefix is unbounded. Must not know: envelopes' contents, dialling strategy (node/net-libp2p.ts), storage.
 */
import type { Connection, Stream, Startable } from '@libp2p/interface'
import { ENVELOPE_VERSION } from '../../protocol/envelope/constants.js'
import {
  ACK_BYTES, ACK_HOLD_MS, ACK_TIMEOUT_MS, AckStatus, FRAME_TIMEOUT_MS, INBOUND_IDLE_TIMEOUT_MS, MAX_FRAME_BYTES, MAX_INBOUND_STREAMS,
  MAX_OUTBOUND_STREAMS, MSG_PROTOCOL
} from './constants.js'
import { AckTimeoutError, FrameTooLargeError, MsgProtocolError, PeerRefusedError, StreamIdleError } from './errors.js'
import { decodeAck, encodeAck } from './frames.js'
import { HeldAcks } from './held-acks.js'
import { FrameReader, writeFrame } from './reader.js'

/** One envelope received on /tern/msg/1.0.0. */
export interface InboundFrame {
  /** remote PeerId, authenticated by Noise */
  from: string
  path: 'direct' | 'relayed'
  envelope: Uint8Array
}
export type InboundHandler = (frame: InboundFrame) => Promise<void>

export interface MessagingInit {
  maxInboundStreams?: number
  maxOutboundStreams?: number
  /** ms to wait for an ack when the caller gives no signal */
  ackTimeoutMs?: number
  /** ms an inbound stream may idle between frames */
  idleTimeoutMs?: number
  /** ms an inbound frame may take from its first byte to its last */
  frameTimeoutMs?: number
  /** ms a receiver may hold an ack to write it with the next ones (0: each at once) */
  ackHoldMs?: number
}

/** The structural subset of libp2p's registrar the service needs. */
export interface MessagingComponents {
  registrar: {
    handle: (protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>, options?: Record<string, unknown>) => Promise<void>
    unhandle: (protocol: string) => Promise<void>
  }
}

/** True when the connection goes through a relay (limited, or a /p2p-circuit address). */
export function isRelayed (connection: Connection): boolean {
  return connection.limits !== undefined || connection.remoteAddr.toString().includes('/p2p-circuit')
}

/**
 * An outbound stream: frames are written in call order (`writes`), their acks read in the same order (`acks`).
 * `failed`: set the moment the stream can no longer be trusted to pair the k-th ack with the k-th frame (a frame
 * that may be partly or wholly on the wire without its ack being read); nothing is written or read on it after.
 */
interface Outbound { reader: FrameReader, stream: Stream, writes: Promise<unknown>, acks: Promise<unknown>, failed?: Error }

/** A frame whose deadline passed before its turn to be written: nothing of it went out, the stream stays in step. */
class UnsentError extends AckTimeoutError {}
/** A frame queued behind one that failed its stream: nothing of it went out; send() tries it once on a fresh stream. */
class StreamGoneError extends AckTimeoutError {}

export class MessagingService implements Startable {
  private readonly components: MessagingComponents
  private readonly init: Required<MessagingInit>
  private handler: InboundHandler | undefined
  private readonly outbound = new Map<string, Promise<Outbound>>()
  /** inbound streams and the acks they hold */
  private readonly inbound = new Map<Stream, HeldAcks>()
  private started = false

  constructor (components: MessagingComponents, init: MessagingInit = {}) {
    this.components = components
    this.init = {
      maxInboundStreams: init.maxInboundStreams ?? MAX_INBOUND_STREAMS,
      maxOutboundStreams: init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS,
      ackTimeoutMs: init.ackTimeoutMs ?? ACK_TIMEOUT_MS,
      idleTimeoutMs: init.idleTimeoutMs ?? INBOUND_IDLE_TIMEOUT_MS,
      frameTimeoutMs: init.frameTimeoutMs ?? FRAME_TIMEOUT_MS,
      ackHoldMs: init.ackHoldMs ?? ACK_HOLD_MS
    }
  }

  readonly [Symbol.toStringTag] = 'tern/messaging'

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    await this.components.registrar.handle(MSG_PROTOCOL, (stream, connection) => { void this.handleStream(stream, connection) }, {
      maxInboundStreams: this.init.maxInboundStreams,
      maxOutboundStreams: this.init.maxOutboundStreams,
      runOnLimitedConnection: true
    })
    this.started = true
  }

  async stop (): Promise<void> {
    this.started = false
    await this.components.registrar.unhandle(MSG_PROTOCOL)
    for (const [s, acks] of this.inbound) {
      // the acks of frames already handled are written first; abort() may still drop what the stream has not sent
      // (their senders then send those frames again, and the receiver's core acknowledges the duplicates)
      acks.settle()
      s.abort(new Error('messaging stopped'))
    }
    this.inbound.clear()
    for (const p of this.outbound.values()) void p.then(o => { o.stream.abort(new Error('messaging stopped')) }, () => {})
    this.outbound.clear()
  }

  /** Sets THE inbound handler; frames are acked OK only after it resolves (RETRY if it rejects). */
  setHandler (handler: InboundHandler): void { this.handler = handler }

  /**
   * Sends one envelope on `connection` and resolves when the peer acked it OK. Frames to one connection go on a
   * reused stream in call order, each written without waiting for the acks of those before it (the receiver handles
   * them one by one and acks in order; a frame that waited for the previous ack also waited for the receiver's fsync
   * of the previous message, and for this event loop to read that ack). A failed stream is dropped, and the next send
   * opens a fresh one.
   */
  async send (connection: Connection, envelope: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (envelope.length > MAX_FRAME_BYTES) throw new FrameTooLargeError(envelope.length)
    const signal = opts.signal ?? AbortSignal.timeout(this.init.ackTimeoutMs)
    try {
      await this.exchange(await this.outboundFor(connection, signal), envelope, signal)
    } catch (err) {
      // queued behind a frame that failed the stream, it never went out: once more, on a fresh stream
      if (!(err instanceof StreamGoneError) || signal.aborted) throw err
      await this.exchange(await this.outboundFor(connection, signal), envelope, signal)
    }
  }

  /** The connection's outbound stream, opened if there is none or the one there has failed. */
  private async outboundFor (connection: Connection, signal: AbortSignal): Promise<Outbound> {
    const key = connection.id
    for (let i = 0; i < 2; i++) {
      let entry = this.outbound.get(key)
      if (entry === undefined) {
        const opened = this.openOutbound(connection, signal)
        entry = opened
        this.outbound.set(key, opened)
        opened.catch(() => { if (this.outbound.get(key) === opened) this.outbound.delete(key) })
      }
      const out = await entry
      if (out.failed === undefined) return out
      if (this.outbound.get(key) === entry) this.outbound.delete(key) // failed, not yet forgotten by its 'close' listener
    }
    throw new StreamGoneError('no usable stream')
  }

  /** Writes the frame after those queued before it, then reads its ack after theirs. */
  private async exchange (out: Outbound, envelope: Uint8Array, signal: AbortSignal): Promise<void> {
    const written = out.writes.then(async () => { await this.write(out, envelope, signal) })
    out.writes = written.catch(() => {})
    const acked = out.acks.then(async () => { await written; await this.readAck(out, signal) })
    out.acks = acked.catch(() => {})
    try {
      await acked
    } catch (err) {
      // the stream's state is unknown (half-written frame, missing ack): never reuse it. This runs before the next
      // frame's ack is read (that read is queued behind this one's settling), so no ack is ever paired with the
      // wrong frame.
      if (!(err instanceof PeerRefusedError) && !(err instanceof UnsentError) && !(err instanceof StreamGoneError)) this.fail(out, err)
      throw err
    }
  }

  /**
   * Marks `out` failed at once (see Outbound) and aborts its stream; the stream's 'close' listener forgets it, and
   * outboundFor() never hands out a failed one meanwhile.
   */
  private fail (out: Outbound, err: unknown): void {
    if (out.failed !== undefined) return
    out.failed = err instanceof Error ? err : new Error('send failed')
    out.stream.abort(out.failed)
  }

  private async openOutbound (connection: Connection, signal: AbortSignal): Promise<Outbound> {
    // negotiateFully: false: multistream-select's optimistic mode, the protocol id goes out with the first frame
    // instead of a round trip before it (the same bytes; tens of ms through a relay). Should the peer not speak
    // /tern/msg, that first exchange fails like a missing ack and the sender retries or uses the mailbox.
    const stream = await connection.newStream(MSG_PROTOCOL, { runOnLimitedConnection: true, signal, negotiateFully: false })
    const reader = new FrameReader(stream, { maxFrameBytes: ACK_BYTES })
    const forget = (): void => {
      for (const [k, v] of this.outbound) void v.then(o => { if (o.stream === stream && this.outbound.get(k) === v) this.outbound.delete(k) }, () => {})
    }
    stream.addEventListener('close', forget)
    // the receiver closed its side (idle timeout, §12.4): never write into it again, finish the close
    stream.addEventListener('remoteCloseWrite', () => { forget(); void stream.close().catch(() => { stream.abort(new Error('close failed')) }) })
    return { reader, stream, writes: Promise.resolve(), acks: Promise.resolve() }
  }

  private async write (out: Outbound, envelope: Uint8Array, signal: AbortSignal): Promise<void> {
    if (out.failed !== undefined) throw new StreamGoneError(`not sent, the stream failed: ${describe(out.failed)}`)
    if (signal.aborted) throw new UnsentError('aborted before sending')
    try {
      await writeFrame(out.stream, envelope, { signal })
    } catch (err) {
      const e = signal.aborted
        ? new AckTimeoutError('aborted while writing')
        : out.reader.failure instanceof MsgProtocolError ? out.reader.failure : new MsgProtocolError(`write failed: ${describe(err)}`)
      // the frame may be on the wire (libp2p buffers it before waiting for the drain): the frames after it must not
      // go on this stream, whose next ack could then be this frame's
      this.fail(out, e)
      throw e
    }
  }

  /** Reads the ack of the frame this call's write sent (acks of earlier frames were read before). */
  private async readAck (out: Outbound, signal: AbortSignal): Promise<void> {
    if (out.failed !== undefined) throw new AckTimeoutError(`stream failed before the ack: ${describe(out.failed)}`)
    let ack
    try {
      ack = await out.reader.next({ signal })
    } catch (err) {
      if (err instanceof MsgProtocolError) throw err
      throw new AckTimeoutError(signal.aborted ? 'no ack before the deadline' : `stream ended without an ack: ${describe(err)}`)
    }
    if (ack === null) throw new AckTimeoutError('stream ended without an ack')
    const status = decodeAck(ack)
    if (status !== AckStatus.OK) throw new PeerRefusedError(status)
  }

  private async handleStream (stream: Stream, connection: Connection): Promise<void> {
    const acks = new HeldAcks(stream, this.init.ackHoldMs)
    this.inbound.set(stream, acks)
    const reader = new FrameReader(stream, { maxFrameBytes: MAX_FRAME_BYTES })
    const from = connection.remotePeer.toString()
    try {
      while (true) {
        let envelope
        try {
          envelope = await reader.next({ idleTimeoutMs: this.init.idleTimeoutMs, frameTimeoutMs: this.init.frameTimeoutMs })
        } catch (err) {
          // over-long prefix, oversized, truncated or stalled frame: the reader has aborted the stream already
          if (err instanceof MsgProtocolError) return
          // idle timeout, or the stream/connection went away
          acks.settle()
          await closeBounded(stream, this.init.frameTimeoutMs)
          return
        }
        if (envelope === null) {
          // the sender closed its write side between frames
          acks.settle()
          await closeBounded(stream, this.init.frameTimeoutMs)
          return
        }
        if (envelope.length < 1 || envelope[0] !== ENVELOPE_VERSION) {
          // garbage: tell the sender not to retry (after the acks of the frames before it), then close this stream
          // with an error
          acks.settle()
          await writeFrame(stream, encodeAck(AckStatus.REJECTED)).catch(() => {})
          stream.abort(new MsgProtocolError('not an envelope'))
          return
        }
        let status: typeof AckStatus[keyof typeof AckStatus] = AckStatus.OK
        try {
          if (this.handler === undefined) throw new Error('no handler')
          await this.handler({ from, path: isRelayed(connection) ? 'relayed' : 'direct', envelope })
        } catch {
          status = AckStatus.RETRY
        }
        await acks.add(status)
      }
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error('stream failed'))
    } finally {
      acks.settle()
      this.inbound.delete(stream)
    }
  }
}

/** Half-closes `stream`, then aborts it unless the remote closed its side within `ms`: no stream lingers. */
async function closeBounded (stream: Stream, ms: number): Promise<void> {
  if (stream.status !== 'open') return
  const closed = new Promise<void>(resolve => { stream.addEventListener('close', () => { resolve() }, { once: true }) })
  const timer = setTimeout(() => { stream.abort(new StreamIdleError('the remote did not close the stream')) }, ms)
  await stream.close({ signal: AbortSignal.timeout(ms) }).catch(() => { stream.abort(new Error('close failed')) })
  await closed
  clearTimeout(timer)
}

function describe (err: unknown): string {
  if (err instanceof Error) return err.name
  return typeof err === 'object' && err !== null && 'type' in err ? String((err as { type: unknown }).type) : 'unknown'
}
