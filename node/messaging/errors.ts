/** Typed errors of /tern/msg/1.0.0 (PROTOCOL.md §12). Tests assert on `code`. */
import { TernError } from '../../protocol/errors.js'

/** Nothing could be dialled (addresses, DHT, relay circuit) before the deadline. */
export class UnreachableError extends TernError {
  constructor (message = 'peer unreachable') { super('ERR_UNREACHABLE', message) }
}

/** A frame was written but no ack came back in time (or the stream ended without one). */
export class AckTimeoutError extends TernError {
  constructor (message = 'no ack from peer') { super('ERR_ACK_TIMEOUT', message) }
}

/** The peer answered with a non-OK ack status. */
export class PeerRefusedError extends TernError {
  readonly status: number
  constructor (status: number, message = `peer refused the envelope (status ${status})`) {
    super('ERR_PEER_REFUSED', message)
    this.status = status
  }
}

/** Why a frame broke §12.2 / §12.4; stable values, for tests and logs. */
export type MsgProtocolReason = 'prefix-too-long' | 'frame-too-large' | 'truncated' | 'stalled' | 'malformed'

/** A frame that does not follow §12.2 (bad ack, over-long prefix, oversized or stalled frame, unknown version). */
export class MsgProtocolError extends TernError {
  readonly reason: MsgProtocolReason
  constructor (message: string, reason: MsgProtocolReason = 'malformed') {
    super('ERR_MSG_PROTOCOL', message)
    this.reason = reason
  }
}

/** An inbound stream carried no frame byte for the idle timeout (§12.4): closed cleanly, not a protocol error. */
export class StreamIdleError extends TernError {
  constructor (message = 'stream idle') { super('ERR_MSG_IDLE', message) }
}

/** The envelope to send is larger than MAX_FRAME_BYTES. */
export class FrameTooLargeError extends TernError {
  constructor (size: number) { super('ERR_FRAME_TOO_LARGE', `frame of ${size} bytes is over the limit`) }
}
