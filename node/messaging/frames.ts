/**
 * The ack frame codec of /tern/msg/1.0.0 (PROTOCOL.md §12.2). Pure. Envelope frames carry the envelope bytes as they
 * are (the envelope is versioned by its own first byte); an ack is two bytes: ACK_VERSION, status.
 */
import { ACK_BYTES, ACK_VERSION, AckStatus, type AckStatusCode } from './constants.js'
import { MsgProtocolError } from './errors.js'

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
