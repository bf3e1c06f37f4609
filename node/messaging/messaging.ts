/**
 * The /tern/msg/1.0.0 service (PROTOCOL.md §12): carries opaque envelopes between two Tern nodes over a libp2p
 * connection, direct or relayed, and acknowledges each one only after the receiver's handler resolved.
 * Owns: the stream handler, the per-connection outbound stream (frames on it are sent one at a time: write, then
 * wait for the ack), limits. Must not know: envelopes' contents, dialling strategy (node/net-libp2p.ts), storage.
 */
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Connection, Stream, Startable } from '@libp2p/interface'
import { ENVELOPE_VERSION } from '../../protocol/envelope/constants.js'
import {
  ACK_BYTES, ACK_TIMEOUT_MS, AckStatus, INBOUND_IDLE_TIMEOUT_MS, MAX_FRAME_BYTES, MAX_INBOUND_STREAMS,
  MAX_OUTBOUND_STREAMS, MSG_PROTOCOL
} from './constants.js'
import { AckTimeoutError, FrameTooLargeError, MsgProtocolError, PeerRefusedError } from './errors.js'
import { decodeAck, encodeAck } from './frames.js'

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

interface Outbound { lp: LengthPrefixedStream<Stream>, stream: Stream, tail: Promise<unknown> }

export class MessagingService implements Startable {
  private readonly components: MessagingComponents
  private readonly init: Required<MessagingInit>
  private handler: InboundHandler | undefined
  private readonly outbound = new Map<string, Promise<Outbound>>()
  private readonly inbound = new Set<Stream>()
  private started = false

  constructor (components: MessagingComponents, init: MessagingInit = {}) {
    this.components = components
    this.init = {
      maxInboundStreams: init.maxInboundStreams ?? MAX_INBOUND_STREAMS,
      maxOutboundStreams: init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS,
      ackTimeoutMs: init.ackTimeoutMs ?? ACK_TIMEOUT_MS,
      idleTimeoutMs: init.idleTimeoutMs ?? INBOUND_IDLE_TIMEOUT_MS
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
    for (const s of this.inbound) s.abort(new Error('messaging stopped'))
    this.inbound.clear()
    for (const p of this.outbound.values()) void p.then(o => { o.stream.abort(new Error('messaging stopped')) }, () => {})
    this.outbound.clear()
  }

  /** Sets THE inbound handler; frames are acked OK only after it resolves (RETRY if it rejects). */
  setHandler (handler: InboundHandler): void { this.handler = handler }

  /**
   * Sends one envelope on `connection` and resolves when the peer acked it OK. Frames to one connection go one at a
   * time on a reused stream; a failed stream is dropped and the next send opens a fresh one.
   */
  async send (connection: Connection, envelope: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (envelope.length > MAX_FRAME_BYTES) throw new FrameTooLargeError(envelope.length)
    const signal = opts.signal ?? AbortSignal.timeout(this.init.ackTimeoutMs)
    const key = connection.id
    let entry = this.outbound.get(key)
    if (entry === undefined) {
      entry = this.openOutbound(connection, signal)
      this.outbound.set(key, entry)
      entry.catch(() => { if (this.outbound.get(key) === entry) this.outbound.delete(key) })
    }
    const out = await entry
    const run = out.tail.then(async () => await this.exchange(out, envelope, signal))
    out.tail = run.catch(() => {})
    try {
      await run
    } catch (err) {
      if (!(err instanceof PeerRefusedError)) {
        // the stream's state is unknown (half-written frame, missing ack): never reuse it
        if (this.outbound.get(key) === entry) this.outbound.delete(key)
        out.stream.abort(err instanceof Error ? err : new Error('send failed'))
      }
      throw err
    }
  }

  private async openOutbound (connection: Connection, signal: AbortSignal): Promise<Outbound> {
    const stream = await connection.newStream(MSG_PROTOCOL, { runOnLimitedConnection: true, signal })
    const lp = lpStream(stream, { maxDataLength: ACK_BYTES })
    stream.addEventListener('close', () => {
      for (const [k, v] of this.outbound) void v.then(o => { if (o.stream === stream && this.outbound.get(k) === v) this.outbound.delete(k) }, () => {})
    })
    return { lp, stream, tail: Promise.resolve() }
  }

  private async exchange (out: Outbound, envelope: Uint8Array, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new AckTimeoutError('aborted before sending')
    try {
      await out.lp.write(envelope, { signal })
    } catch (err) {
      if (signal.aborted) throw new AckTimeoutError('aborted while writing')
      throw new MsgProtocolError(`write failed: ${describe(err)}`)
    }
    let ack
    try {
      ack = await out.lp.read({ signal })
    } catch (err) {
      throw new AckTimeoutError(signal.aborted ? 'no ack before the deadline' : `stream ended without an ack: ${describe(err)}`)
    }
    const status = decodeAck(ack.subarray())
    if (status !== AckStatus.OK) throw new PeerRefusedError(status)
  }

  private async handleStream (stream: Stream, connection: Connection): Promise<void> {
    this.inbound.add(stream)
    const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
    const from = connection.remotePeer.toString()
    try {
      while (true) {
        let frame
        try {
          frame = await lp.read({ signal: AbortSignal.timeout(this.init.idleTimeoutMs) })
        } catch (err) {
          const name = (err as { name?: string }).name ?? ''
          if (name === 'InvalidDataLengthError' || name === 'InvalidMessageLengthError' || name === 'InvalidDataLengthLengthError') {
            stream.abort(new MsgProtocolError('frame over the limit'))
            return
          }
          // end of stream, idle timeout, or the connection went away
          await stream.close().catch(() => { stream.abort(new Error('close failed')) })
          return
        }
        const envelope = frame.subarray()
        if (envelope.length < 1 || envelope[0] !== ENVELOPE_VERSION) {
          // garbage: tell the sender not to retry, then close this stream with an error
          await lp.write(encodeAck(AckStatus.REJECTED)).catch(() => {})
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
        await lp.write(encodeAck(status))
      }
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error('stream failed'))
    } finally {
      this.inbound.delete(stream)
    }
  }
}

function describe (err: unknown): string {
  if (err instanceof Error) return err.name
  return typeof err === 'object' && err !== null && 'type' in err ? String((err as { type: unknown }).type) : 'unknown'
}
